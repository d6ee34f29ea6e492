# Shared by the Python-client fixtures: load the kubeconfig named on the command line, print one JSON result.
import json
import sys

from kubernetes import client, config


def api_client() -> client.ApiClient:
    config.load_kube_config(config_file=sys.argv[1])
    return client.ApiClient()


def emit(result) -> None:
    print(json.dumps(result, sort_keys=True))
