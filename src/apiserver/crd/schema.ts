// CRD structural schemas: pruning, defaulting, validation of custom resources, and CRD checks.
// Order on every write, as in kube-apiserver: prune → default → validate.
export { pruneUnknownFields } from "./prune";
export { applyDefaults } from "./defaults";
export { validateAgainstSchema } from "./validate";
export { validateCelRules } from "./cel-rules";
export { crdDefaults, validateCustomResourceDefinition } from "./validate-crd";
