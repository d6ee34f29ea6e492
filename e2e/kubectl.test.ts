// Real kubectl against the embedded API server over HTTP. The full scenario list runs with the kubectl on PATH
// and with the oldest and newest versioned binaries next to it (kubectl.1.NN); the others run the smoke subset.
// Transports (HTTPS with a client certificate or a token) are in kubectl-transports.test.ts.
import { describe } from "bun:test";
import { findKubectlBinaries } from "./kubectl-harness.ts";
import { kubectlSuite, scenarios, skipWithoutKubectl } from "./kubectl-scenarios.ts";

const binaries = findKubectlBinaries();
skipWithoutKubectl(binaries, "real kubectl over HTTP");

for (const binary of binaries) {
  const list = binary.full ? scenarios : scenarios.filter((s) => s.smoke);
  describe(`${binary.label} v1.${binary.minor} over HTTP (${binary.full ? "full" : "smoke"})`, () => {
    kubectlSuite(binary, list);
  });
}
