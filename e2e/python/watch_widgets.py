# A watch of a custom resource (example.com/v1 Widgets) through CustomObjectsApi while one is created,
# merge-patched and deleted. Usage: watch_widgets.py KUBECONFIG NAMESPACE.
# Prints {"events": [{"type", "name", "spec"}, ...]}.
import sys
import threading

from kubernetes import client, watch

from common import api_client, emit

api = client.CustomObjectsApi(api_client())
ns = sys.argv[2]
args = ("example.com", "v1", ns, "widgets")
start = api.list_namespaced_custom_object(*args)["metadata"]["resourceVersion"]
events = []


def follow():
    w = watch.Watch()
    for ev in w.stream(api.list_namespaced_custom_object, *args, resource_version=start, timeout_seconds=20):
        obj = ev["object"]
        events.append({"type": ev["type"], "name": obj["metadata"]["name"], "spec": obj.get("spec")})
        if ev["type"] == "DELETED":
            w.stop()


watcher = threading.Thread(target=follow)
watcher.start()
body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "py-w"}, "spec": {"size": 1, "color": "red"}}
api.create_namespaced_custom_object(*args, body)
api.patch_namespaced_custom_object(*args, "py-w", {"spec": {"size": 2}})
api.delete_namespaced_custom_object(*args, "py-w")
watcher.join(30)
emit({"events": events, "stillWatching": watcher.is_alive()})
