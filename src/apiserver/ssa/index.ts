// Server-side apply and managedFields for the embedded API server.

export {
  fieldSetOf,
  toFieldsV1,
  fromFieldsV1,
  formatPath,
  memberPaths,
  type FieldSet,
  type ListType,
  type ListTypeOf,
} from "./fieldset.ts";
export { compareObjects, type Comparison } from "./compare.ts";
export { serverSideApply, LAST_APPLIED_ANNOTATION, type ApplyArgs, type ApplyResult } from "./apply.ts";
export { conflictMessage, conflictCauses, type ApplyConflict, type FieldManagerConflictCause } from "./conflicts.ts";
export { updateManagedFields, managerFromUserAgent, decodeManagedFields, encodeManagedFields } from "./managed-fields.ts";
