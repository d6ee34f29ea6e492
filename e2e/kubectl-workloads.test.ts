// Real kubectl on workloads: the server runs with garbage collection and the simulated kubelet (Deployments
// get ReplicaSets and Pods), so rollouts, logs, Jobs and pruning behave as on a cluster. The full-list binaries
// (PATH, oldest and newest versioned) run it.
import { describe } from "bun:test";
import { findKubectlBinaries } from "./kubectl-harness.ts";
import { kubectlSuite, skipWithoutKubectl, workloadScenarios } from "./kubectl-scenarios.ts";

const binaries = findKubectlBinaries().filter((b) => b.full);
skipWithoutKubectl(binaries, "real kubectl on workloads");

for (const binary of binaries) {
  describe(`${binary.label} v1.${binary.minor} on workloads (--gc --simulate-kubelet)`, () => {
    kubectlSuite(binary, workloadScenarios, { gc: true, simulateKubelet: true, kubeletDelayMs: 100 });
  });
}
