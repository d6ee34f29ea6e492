// CEL equality for the library functions (indexOf, includes): @bufbuild/cel does not export its own.
import { isCelList, isCelMap, isCelUint, type CelValue } from "@bufbuild/cel";
import { isReflectMessage } from "@bufbuild/protobuf/reflect";
import { toBinary } from "@bufbuild/protobuf";

export function equals(a: CelValue, b: CelValue): boolean {
  if (a === b) return true;
  const x = isCelUint(a) ? a.value : a;
  const y = isCelUint(b) ? b.value : b;
  if ((typeof x === "number" || typeof x === "bigint") && (typeof y === "number" || typeof y === "bigint")) return x == y;
  if (x instanceof Uint8Array && y instanceof Uint8Array) return x.length === y.length && x.every((v, i) => v === y[i]);
  if (isCelList(x) && isCelList(y)) {
    if (x.size !== y.size) return false;
    for (let i = 0; i < x.size; i++) if (!equals(x.get(i) as CelValue, y.get(i) as CelValue)) return false;
    return true;
  }
  if (isCelMap(x) && isCelMap(y)) {
    if (x.size !== y.size) return false;
    for (const [k, v] of x.entries()) {
      if (!y.has(k) || !equals(v as CelValue, y.get(k) as CelValue)) return false;
    }
    return true;
  }
  if (isReflectMessage(x) && isReflectMessage(y)) {
    if (x.desc.typeName !== y.desc.typeName) return false;
    const bx = toBinary(x.desc, x.message);
    const by = toBinary(y.desc, y.message);
    return bx.length === by.length && bx.every((v, i) => v === by[i]);
  }
  return false;
}
