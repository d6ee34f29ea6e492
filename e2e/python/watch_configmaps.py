# A watch of a built-in (ConfigMaps) through the typed client while a ConfigMap is created, changed and deleted.
# Usage: watch_configmaps.py KUBECONFIG NAMESPACE. Prints {"events": [{"type", "name", "data"}, ...]}.
import sys
import threading

from kubernetes import client, watch

from common import api_client, emit

api = client.CoreV1Api(api_client())
ns = sys.argv[2]
start = api.list_namespaced_config_map(ns).metadata.resource_version
events = []


def follow():
    w = watch.Watch()
    for ev in w.stream(api.list_namespaced_config_map, ns, resource_version=start, timeout_seconds=20):
        obj = ev["object"]
        events.append({"type": ev["type"], "name": obj.metadata.name, "data": obj.data})
        if ev["type"] == "DELETED":
            w.stop()


watcher = threading.Thread(target=follow)
watcher.start()
api.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm"), data={"a": "1"}))
api.patch_namespaced_config_map("py-cm", ns, {"data": {"a": "2"}})
api.delete_namespaced_config_map("py-cm", ns)
watcher.join(30)
emit({"events": events, "stillWatching": watcher.is_alive()})
