import { describe, expect, test } from "bun:test";
import type { FieldCause, KObject } from "../types";
import { crdDefaults, validateCustomResourceDefinition } from "./schema";

type Json = Record<string, any>;

function widgetCRD(): KObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList", shortNames: ["wd"] },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: {
                    size: { type: "integer", minimum: 1, default: 3 },
                    color: { type: "string", enum: ["red", "green"] },
                  },
                },
                status: { type: "object" },
              },
            },
          },
          subresources: { status: {} },
          additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
        },
      ],
    },
  };
}

function withSpec(change: (spec: Json, crd: KObject) => void): KObject {
  const crd = widgetCRD();
  change(crd.spec as Json, crd);
  return crd;
}

function schemaOf(crd: KObject, i = 0): Json {
  return (crd.spec as Json).versions[i].schema.openAPIV3Schema;
}

function messages(causes: FieldCause[]): string[] {
  return causes.map((c) => `${c.field}: ${c.message}`);
}

const SCHEMA = "spec.validation.openAPIV3Schema";

describe("crdDefaults", () => {
  test("fills singular, listKind, conversion, served/storage and storedVersions", () => {
    const crd = withSpec((spec) => {
      spec.names = { plural: "widgets", kind: "Widget" };
      delete spec.versions[0].served;
    });
    crdDefaults(crd);
    const spec = crd.spec as Json;
    expect(spec.names).toEqual({ plural: "widgets", kind: "Widget", singular: "widget", listKind: "WidgetList" });
    expect(spec.conversion).toEqual({ strategy: "None" });
    expect(spec.versions[0].served).toBe(false);
    expect(spec.versions[0].storage).toBe(true);
    expect((crd.status as Json).storedVersions).toEqual(["v1"]);
  });

  test("keeps what is given", () => {
    const crd = withSpec((spec) => {
      spec.names.singular = "wid";
      spec.conversion = { strategy: "Webhook", webhook: { clientConfig: { service: { name: "s", namespace: "n" } } } };
    });
    crdDefaults(crd);
    const spec = crd.spec as Json;
    expect(spec.names.singular).toBe("wid");
    expect(spec.conversion.webhook.clientConfig.service.port).toBe(443);
  });
});

describe("validateCustomResourceDefinition", () => {
  test("the Widget CRD is valid", () => {
    expect(validateCustomResourceDefinition(widgetCRD())).toEqual([]);
  });

  const cases: [string, (spec: Json, crd: KObject) => void, string[]][] = [
    ["name must be plural.group", (_s, crd) => (crd.metadata.name = "widget.example.com"), [
      'metadata.name: Invalid value: "widget.example.com": must be spec.names.plural+"."+spec.group',
    ]],
    ["name is required", (_s, crd) => delete crd.metadata.name, ["metadata.name: Required value: name or generateName is required"]],
    ["group is required", (spec) => delete spec.group, [
      'metadata.name: Invalid value: "widgets.example.com": must be spec.names.plural+"."+spec.group',
      "spec.group: Required value",
    ]],
    ["group needs a dot", (spec, crd) => { spec.group = "example"; crd.metadata.name = "widgets.example"; }, [
      'spec.group: Invalid value: "example": should be a domain with at least one dot',
    ]],
    ["scope must be known", (spec) => (spec.scope = "Global"), [
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    ]],
    ["scope is required", (spec) => delete spec.scope, ["spec.scope: Required value"]],
    ["schemas are required", (spec) => delete spec.versions[0].schema, [
      "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
    ]],
    ["plural must be a lower-case DNS label", (spec, crd) => { spec.names.plural = "Widgets"; crd.metadata.name = "Widgets.example.com"; }, [
      'metadata.name: Invalid value: "Widgets.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.names.plural: Invalid value: "Widgets": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')',
    ]],
    ["kind is required", (spec) => { delete spec.names.kind; delete spec.names.listKind; }, [
      "spec.names.kind: Required value",
      "spec.names.listKind: Required value",
    ]],
    ["kind and listKind differ", (spec) => (spec.names.listKind = "Widget"), [
      'spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same',
    ]],
    ["a type is required on every property", (_s, crd) => delete schemaOf(crd).properties.spec.properties.color.type, [
      `${SCHEMA}.properties[spec].properties[color].type: Required value: must not be empty for specified object fields`,
    ]],
    ["additionalProperties with properties", (_s, crd) => (schemaOf(crd).properties.spec.additionalProperties = { type: "string" }), [
      `${SCHEMA}.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ]],
    ["the root must be an object", (_s, crd) => (schemaOf(crd).type = "string"), [
      `${SCHEMA}.type: Invalid value: "string": must be object at the root`,
    ]],
    ["the root needs a type", (_s, crd) => delete schemaOf(crd).type, [`${SCHEMA}.type: Required value: must not be empty at the root`]],
    ["arrays need items", (_s, crd) => (schemaOf(crd).properties.spec.properties.tags = { type: "array" }), [
      `${SCHEMA}.properties[spec].properties[tags].items: Required value: must be specified`,
    ]],
    ["array items need a type", (_s, crd) => (schemaOf(crd).properties.spec.properties.tags = { type: "array", items: {} }), [
      `${SCHEMA}.properties[spec].properties[tags].items.type: Required value: must not be empty for specified array items`,
    ]],
    ["value validations may not carry types", (_s, crd) => (schemaOf(crd).properties.spec.anyOf = [{ type: "object" }]), [
      `${SCHEMA}.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural`,
    ]],
    // Like kube-apiserver, only the root's value validations are checked for completeness.
    ["value validations only mention specified fields", (_s, crd) => (schemaOf(crd).oneOf = [{ required: ["x"], properties: { x: {} } }]), [
      `${SCHEMA}.properties[x]: Required value: because it is defined in ${SCHEMA}.oneOf[0].properties[x]`,
    ]],
    ["defaults must validate", (_s, crd) => (schemaOf(crd).properties.spec.properties.size.default = 0), [
      `${SCHEMA}.properties[spec].properties[size].default: Invalid value: 0:  in body should be greater than or equal to 1`,
    ]],
    ["defaults must be pruned", (_s, crd) => (schemaOf(crd).properties.spec.default = { size: 2, bogus: true }), [
      `${SCHEMA}.properties[spec].default: Invalid value: map[string]interface {}{"bogus":true, "size":2}: must not have unknown fields`,
    ]],
    ["uniqueItems is forbidden", (_s, crd) => (schemaOf(crd).properties.spec.properties.tags = { type: "array", uniqueItems: true, items: { type: "string" } }), [
      `${SCHEMA}.properties[spec].properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
    ]],
    ["unknown types", (_s, crd) => (schemaOf(crd).properties.spec.properties.color.type = "text"), [
      `${SCHEMA}.properties[spec].properties[color].type: Unsupported value: "text": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    ]],
    ["root metadata may only restrict name and generateName", (_s, crd) => (schemaOf(crd).properties.metadata = { type: "object", properties: { labels: { type: "object" } } }), [
      `${SCHEMA}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
    ]],
    ["preserve-unknown-fields false is rejected", (_s, crd) => (schemaOf(crd).properties.spec["x-kubernetes-preserve-unknown-fields"] = false), [
      `${SCHEMA}.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
    ]],
    ["map lists need keys", (_s, crd) => (schemaOf(crd).properties.spec.properties.ports = {
      type: "array", "x-kubernetes-list-type": "map", items: { type: "object", properties: { port: { type: "integer" } } },
    }), [`${SCHEMA}.properties[spec].properties[ports].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`]],
    ["map list keys must be required or defaulted", (_s, crd) => (schemaOf(crd).properties.spec.properties.ports = {
      type: "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port"],
      items: { type: "object", properties: { port: { type: "integer" } } },
    }), [
      `${SCHEMA}.properties[spec].properties[ports].items.properties[port].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    ]],
    ["nullable root", (_s, crd) => (schemaOf(crd).nullable = true), [`${SCHEMA}.nullable: Forbidden: nullable cannot be true at the root`]],
    ["printer columns need name, type and jsonPath", (spec) => (spec.versions[0].additionalPrinterColumns = [{ format: "weird" }]), [
      "spec.additionalPrinterColumns[0].name: Required value",
      "spec.additionalPrinterColumns[0].type: Required value: must be one of boolean,date,integer,number,string",
      'spec.additionalPrinterColumns[0].format: Invalid value: "weird": must be one of byte,date,date-time,double,float,int32,int64,password',
      "spec.additionalPrinterColumns[0].JSONPath: Required value",
    ]],
    ["printer column types and paths", (spec) => (spec.versions[0].additionalPrinterColumns = [{ name: "A", type: "text", jsonPath: "spec.a" }]), [
      'spec.additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string',
      'spec.additionalPrinterColumns[0].JSONPath: Invalid value: "spec.a": must be a simple json path starting with .',
    ]],
    ["scale paths", (spec) => (spec.versions[0].subresources = { scale: { specReplicasPath: ".status.x" } }), [
      'spec.subresources.scale.specReplicasPath: Invalid value: ".status.x": should be a json path under .spec',
      "spec.subresources.scale.statusReplicasPath: Required value",
    ]],
    ["conversion strategy", (spec) => (spec.conversion = { strategy: "Magic" }), [
      'spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"',
    ]],
    ["preserveUnknownFields true", (spec) => (spec.preserveUnknownFields = true), [
      "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
    ]],
    ["protected groups need approval", (spec, crd) => { spec.group = "widgets.k8s.io"; crd.metadata.name = "widgets.widgets.k8s.io"; }, [
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    ]],
  ];

  test.each(cases)("%s", (_name, change, expected) => {
    expect(messages(validateCustomResourceDefinition(withSpec(change)))).toEqual(expected);
  });

  test("causes carry the apiserver's reasons", () => {
    const crd = withSpec((spec) => delete spec.versions[0].schema);
    expect(validateCustomResourceDefinition(crd)).toEqual([
      { reason: "FieldValueRequired", field: "spec.versions[0].schema.openAPIV3Schema", message: "Required value: schemas are required" },
    ]);
  });

  describe("versions", () => {
    function addVersion(spec: Json, name: string, storage: boolean, schema?: Json): void {
      const copy = JSON.parse(JSON.stringify(spec.versions[0]));
      copy.name = name;
      copy.storage = storage;
      if (schema) copy.schema.openAPIV3Schema = schema;
      spec.versions.push(copy);
    }

    test("exactly one storage version", () => {
      const none = messages(validateCustomResourceDefinition(withSpec((spec) => (spec.versions[0].storage = false))));
      expect(none).toEqual([
        expect.stringMatching(/^spec\.versions: Invalid value: \[\]apiextensions\.CustomResourceDefinitionVersion\{.*Name:"v1".*\}: must have exactly one version marked as storage version$/),
        "status.storedVersions: Invalid value: []string(nil): must have at least one stored version",
      ]);
      const two = messages(validateCustomResourceDefinition(withSpec((spec) => addVersion(spec, "v2", true))));
      expect(two).toEqual([
        expect.stringMatching(/^spec\.versions: Invalid value: .*: must have exactly one version marked as storage version$/),
        'status.storedVersions: Invalid value: []string{"v1"}: must have the storage version v2',
      ]);
    });

    test("no versions at all", () => {
      const causes = messages(validateCustomResourceDefinition(withSpec((spec) => delete spec.versions)));
      expect(causes).toEqual([
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): must have exactly one version marked as storage version",
        "status.storedVersions: Invalid value: []string(nil): must have at least one stored version",
      ]);
    });

    test("unique version names", () => {
      const causes = messages(validateCustomResourceDefinition(withSpec((spec) => addVersion(spec, "v1", false))));
      expect(causes).toEqual([expect.stringMatching(/^spec\.versions: Invalid value: .*: must contain unique version names$/)]);
    });

    test("version names are DNS labels", () => {
      const causes = messages(validateCustomResourceDefinition(withSpec((spec, crd) => {
        spec.versions[0].name = "V1";
        void crd;
      })));
      expect(causes.map((c) => c.split(":")[0])).toEqual(["spec.versions[0].name", "spec.version"]);
    });

    test("differing schemas are checked per version", () => {
      const crd = withSpec((spec) => addVersion(spec, "v2", false, { type: "object", properties: { spec: { properties: {} } } }));
      expect(messages(validateCustomResourceDefinition(crd))).toEqual([
        "spec.versions[1].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
      ]);
    });

    test("a missing schema in one of several versions", () => {
      const crd = withSpec((spec) => {
        addVersion(spec, "v2", false);
        delete spec.versions[1].schema;
      });
      expect(messages(validateCustomResourceDefinition(crd))).toEqual([
        "spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required",
      ]);
    });
  });

  test("the kode-operator Kode CRD shape is valid", () => {
    const crd = withSpec((spec, meta) => {
      spec.group = "kode.jacero.io";
      spec.names = { plural: "kodes", singular: "kode", kind: "Kode", listKind: "KodeList" };
      meta.metadata.name = "kodes.kode.jacero.io";
      spec.versions[0].name = "v1alpha1";
      spec.versions[0].schema.openAPIV3Schema = {
        type: "object",
        properties: {
          apiVersion: { type: "string" },
          kind: { type: "string" },
          metadata: { type: "object" },
          spec: {
            type: "object",
            required: ["templateRef"],
            properties: {
              templateRef: { type: "object", properties: { kind: { type: "string", enum: ["KodeTemplate", "KodeClusterTemplate"] }, name: { type: "string" } } },
              user: { type: "string" },
              storage: {
                type: "object",
                properties: {
                  accessModes: { type: "array", items: { type: "string" } },
                  resources: { type: "object", properties: { requests: { type: "object", additionalProperties: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }], pattern: "^[0-9]+(Gi|Mi)?$" } } } },
                },
              },
              httpFilters: { type: "array", items: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          },
          status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      };
    });
    expect(validateCustomResourceDefinition(crd)).toEqual([]);
  });
});
