# Server-side apply through the dynamic client: two field managers on one ConfigMap and one Widget; the second
# conflicts, then takes the field over with force_conflicts=True. Usage: server_side_apply.py KUBECONFIG NAMESPACE.
# The body goes as a JSON string (valid YAML): this client version sends only strings for non-JSON content types.
import json
import sys

from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from common import api_client, emit

dyn = dynamic.DynamicClient(api_client())
ns = sys.argv[2]
result = {}
cases = {
    "configmap": (dyn.resources.get(api_version="v1", kind="ConfigMap"), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "py-ssa"}}, "data", {"k": "from-a"}, {"k": "from-b"}),
    "widget": (dyn.resources.get(api_version="example.com/v1", kind="Widget"), {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "py-ssa"}}, "spec", {"size": 2}, {"size": 5}),
}
for key, (res, base, field, first, second) in cases.items():
    out = result[key] = {}
    def apply(value, manager, **kw):
        return res.server_side_apply(body=json.dumps({**base, field: value}), name="py-ssa", namespace=ns, field_manager=manager, **kw)

    applied = apply(first, "py-a")
    out["first"] = applied.to_dict()[field]
    try:
        apply(second, "py-b")
        out["conflict"] = None
    except ApiException as e:
        out["conflict"] = {"status": e.status, "message": json.loads(e.body)["message"]}
    forced = apply(second, "py-b", force_conflicts=True)
    out["forced"] = forced.to_dict()[field]
    out["managers"] = sorted(f"{m.manager}/{m.operation}" for m in forced.metadata.managedFields)
emit(result)
