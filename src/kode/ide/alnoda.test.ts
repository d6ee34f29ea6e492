import { describe, expect, test } from "bun:test";
import { alnoda, alnodaNoAuthWarning } from "./alnoda.ts";
import { toolContainerPorts, toolPortsOf, toolServicePorts } from "./spec.ts";

describe("alnoda", () => {
  test("UI on 8020, tools on 8021-8039, each named tool-<port>", () => {
    expect(alnoda.defaultPort).toBe(8020);
    const ports = toolServicePorts(toolPortsOf(alnoda, 8020));
    expect(ports.length).toBe(19);
    expect(ports[0]).toEqual({ name: "tool-8021", port: 8021, targetPort: "tool-8021", protocol: "TCP" });
    expect(ports.at(-1)).toEqual({ name: "tool-8039", port: 8039, targetPort: "tool-8039", protocol: "TCP" });
    expect(toolContainerPorts(toolPortsOf(alnoda, 8020))[0]).toEqual({ name: "tool-8021", containerPort: 8021, protocol: "TCP" });
    // Port names are IANA_SVC_NAME: at most 15 characters.
    for (const p of ports) expect(p.name.length).toBeLessThanOrEqual(15);
  });
  test("a UI moved onto a tool port is not also a tool", () => {
    expect(toolPortsOf(alnoda, 8025)).not.toContain(8025);
    expect(toolPortsOf(alnoda, 8025).length).toBe(18);
    expect(toolPortsOf(undefined, 8025)).toEqual([]);
  });
  test("no own auth: a warning unless an authenticating Envoy is in front", () => {
    expect(alnodaNoAuthWarning(false)).toContain("no authentication of its own");
    expect(alnodaNoAuthWarning(true)).toBeUndefined();
  });
});
