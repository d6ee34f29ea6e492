import { describe, expect, test } from "bun:test";
import { alnoda, alnodaNoAuthWarning, alnodaToolContainerPorts, alnodaToolServicePorts } from "./alnoda.ts";

describe("alnoda", () => {
  test("UI on 8020, tools on 8021-8039", () => {
    expect(alnoda.defaultPort).toBe(8020);
    const ports = alnodaToolServicePorts();
    expect(ports.length).toBe(19);
    expect(ports[0]).toEqual({ name: "tool-8021", port: 8021, targetPort: 8021, protocol: "TCP" });
    expect(ports.at(-1)).toEqual({ name: "tool-8039", port: 8039, targetPort: 8039, protocol: "TCP" });
    expect(alnodaToolContainerPorts()[0]).toEqual({ name: "tool-8021", containerPort: 8021, protocol: "TCP" });
    // Port names are IANA_SVC_NAME: at most 15 characters.
    for (const p of ports) expect(p.name.length).toBeLessThanOrEqual(15);
  });
  test("no own auth: a warning without Envoy", () => {
    expect(alnodaNoAuthWarning(false)).toContain("no authentication of its own");
    expect(alnodaNoAuthWarning(true)).toBeUndefined();
  });
});
