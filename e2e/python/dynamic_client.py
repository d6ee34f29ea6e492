# The dynamic client: discovery of built-ins and a custom resource, then create, get, list by label, patch,
# replace and delete. Usage: dynamic_client.py KUBECONFIG NAMESPACE.
import sys

from kubernetes import dynamic

from common import api_client, emit

dyn = dynamic.DynamicClient(api_client())
ns = sys.argv[2]
result = {"discovery": {}}
for api_version, kind in [("v1", "ConfigMap"), ("v1", "Namespace"), ("apps/v1", "Deployment"), ("example.com/v1", "Widget")]:
    r = dyn.resources.get(api_version=api_version, kind=kind)
    result["discovery"][kind] = {"name": r.name, "namespaced": r.namespaced, "shortNames": r.short_names, "verbs": sorted(r.verbs)}

widgets = dyn.resources.get(api_version="example.com/v1", kind="Widget")
body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "py-dyn", "labels": {"via": "dynamic"}}, "spec": {"color": "blue"}}
created = widgets.create(body=body, namespace=ns)
result["created"] = {"spec": created.to_dict()["spec"], "generation": created.metadata.generation}
result["listed"] = [w.metadata.name for w in widgets.get(namespace=ns, label_selector="via=dynamic").items]
patched = widgets.patch(name="py-dyn", namespace=ns, body={"spec": {"size": 9}}, content_type="application/merge-patch+json")
result["patched"] = {"spec": patched.to_dict()["spec"], "generation": patched.metadata.generation}
live = widgets.get(name="py-dyn", namespace=ns).to_dict()
live["spec"]["color"] = "green"
replaced = widgets.replace(body=live, namespace=ns)
result["replaced"] = replaced.to_dict()["spec"]

deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
dep = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "py-dep"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "py-dep"}},
        "template": {"metadata": {"labels": {"app": "py-dep"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
    },
}
made = deployments.create(body=dep, namespace=ns)
result["deployment"] = {"replicas": made.spec.replicas, "strategy": made.spec.strategy.type}

widgets.delete(name="py-dyn", namespace=ns)
deployments.delete(name="py-dep", namespace=ns)
result["afterDelete"] = [w.metadata.name for w in widgets.get(namespace=ns).items]
emit(result)
