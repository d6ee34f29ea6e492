// Opaque CEL types (Kubernetes' Quantity and URL) as one-field protobuf messages: @bufbuild/cel types every
// runtime value, and a message type is the one kind of value it lets us add. The field holds a canonical
// string, so CEL's == compares two values by what they mean.
import { create, createFileRegistry, createRegistry, type DescMessage } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { objectType, type CelObjectType } from "@bufbuild/cel";

const file = create(FileDescriptorProtoSchema, {
  name: "kubernetes/cel.proto",
  package: "kubernetes",
  syntax: "proto3",
  messageType: ["Quantity", "URL", "Optional"].map((name) => ({
    name,
    field: [{ name: "value", number: 1, type: FieldDescriptorProto_Type.STRING, label: FieldDescriptorProto_Label.OPTIONAL, jsonName: "value" }],
  })),
});
const files = createFileRegistry(file, () => undefined);

export interface OpaqueType {
  desc: DescMessage;
  type: CelObjectType;
  wrap(value: string): ReflectMessage;
  unwrap(message: unknown): string;
}

function opaque(name: string): OpaqueType {
  const desc = files.getMessage(`kubernetes.${name}`)!;
  const field = desc.fields[0]!;
  return {
    desc,
    type: objectType(desc),
    wrap: (value) => reflect(desc, create(desc, { value } as never)),
    unwrap: (message) => String((message as ReflectMessage).get(field)),
  };
}

export const QUANTITY = opaque("Quantity");
export const URL_TYPE = opaque("URL");
export const OPTIONAL = opaque("Optional");
export const opaqueRegistry = createRegistry(QUANTITY.desc, URL_TYPE.desc, OPTIONAL.desc);
