// Table columns of Ingress, IngressClass, Endpoints, EndpointSlice (kube-apiserver's printers) and of the
// Gateway API kinds (the additionalPrinterColumns of their CRDs).
import { ageColumn, asCount, asList, asMap, asString, column, specOf, statusOf } from "./builtin-columns.ts";
import type { KObject, PrinterColumn } from "./types.ts";

/** "a,b,c + N more..." after `max` entries, as the printers shorten long lists. */
function listWithMore(list: string[], count: number, max: number, empty: string): string {
  const text = list.slice(0, max).join(",");
  if (count > max) return `${text} + ${count - max} more...`;
  return text || empty;
}

function ingressHosts(o: KObject): string {
  const rules = asList(specOf(o).rules).map(asMap);
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (hosts.length === max) more = true;
    if (!more && asString(rule.host)) hosts.push(asString(rule.host));
  }
  if (hosts.length === 0) return "*";
  return more ? `${hosts.join(",")} + ${rules.length - max} more...` : hosts.join(",");
}

function loadBalancerAddresses(o: KObject): string {
  const ingress = asList(asMap(statusOf(o).loadBalancer).ingress).map(asMap);
  return ingress
    .map((i) => asString(i.ip) || asString(i.hostname))
    .filter(Boolean)
    .join(",");
}

const ingressColumns: PrinterColumn[] = [
  column("Class", "ingressClassName is the name of an IngressClass cluster resource.", (o) =>
    typeof specOf(o).ingressClassName === "string" ? asString(specOf(o).ingressClassName) : "<none>",
  ),
  column("Hosts", "Hosts that incoming requests are matched against.", ingressHosts),
  column("Address", "Address is a list containing ingress points for the load-balancer", loadBalancerAddresses),
  column("Ports", "Ports of TLS configurations that open", (o) => (asList(specOf(o).tls).length > 0 ? "80, 443" : "80")),
  ageColumn,
];

const ingressClassColumns: PrinterColumn[] = [
  column("Controller", "controller refers to the name of the controller that should handle this class.", (o) => asString(specOf(o).controller)),
  column("Parameters", "parameters is a link to a custom resource containing additional configuration for the controller.", (o) => {
    const p = specOf(o).parameters;
    if (!p || typeof p !== "object") return "<none>";
    const ref = asMap(p);
    const kind = typeof ref.apiGroup === "string" ? `${asString(ref.kind)}.${ref.apiGroup}` : asString(ref.kind);
    return `${kind}/${asString(ref.name)}`;
  }),
  ageColumn,
];

/** formatEndpoints: ip:port per address and port, or bare IPs for a subset without ports. */
function endpointsText(o: KObject): string {
  const subsets = asList(o.subsets).map(asMap);
  if (subsets.length === 0) return "<none>";
  const list: string[] = [];
  let count = 0;
  const host = (ip: string) => (ip.includes(":") ? `[${ip}]` : ip);
  for (const ss of subsets) {
    const addresses = asList(ss.addresses).map((a) => asString(asMap(a).ip));
    const ports = asList(ss.ports).map(asMap);
    if (ports.length === 0) {
      count += addresses.length;
      list.push(...addresses);
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const ip of addresses) list.push(`${host(ip)}:${asCount(port.port)}`);
    }
  }
  return listWithMore(list, count, 3, "");
}

function slicePorts(o: KObject): string {
  const ports = asList(o.ports).map(asMap);
  const list = ports.map((p) => (typeof p.port === "number" ? String(p.port) : typeof p.name === "string" ? p.name : "*"));
  return listWithMore(list, list.length, 3, "<unset>");
}

function sliceEndpoints(o: KObject): string {
  const list = asList(o.endpoints).flatMap((e) => asList(asMap(e).addresses).map(asString));
  return listWithMore(list, list.length, 3, "<unset>");
}

const endpointSliceColumns: PrinterColumn[] = [
  column("AddressType", "addressType specifies the type of address carried by this EndpointSlice.", (o) => asString(o.addressType)),
  column("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice.", slicePorts),
  column("Endpoints", "endpoints is a list of unique endpoints in this slice.", sliceEndpoints),
  ageColumn,
];

const crdAge: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
const condition = (type: string) => `.status.conditions[?(@.type=="${type}")].status`;

export const networkColumns: Record<string, PrinterColumn[]> = {
  "networking.k8s.io/Ingress": ingressColumns,
  "networking.k8s.io/IngressClass": ingressClassColumns,
  "/Endpoints": [column("Endpoints", "Endpoints of the service.", endpointsText), ageColumn],
  "discovery.k8s.io/EndpointSlice": endpointSliceColumns,
  "gateway.networking.k8s.io/GatewayClass": [
    { name: "Controller", type: "string", jsonPath: ".spec.controllerName" },
    { name: "Accepted", type: "string", jsonPath: condition("Accepted") },
    crdAge,
    { name: "Description", type: "string", jsonPath: ".spec.description", priority: 1 },
  ],
  "gateway.networking.k8s.io/Gateway": [
    { name: "Class", type: "string", jsonPath: ".spec.gatewayClassName" },
    { name: "Address", type: "string", jsonPath: ".status.addresses[*].value" },
    { name: "Programmed", type: "string", jsonPath: condition("Programmed") },
    crdAge,
  ],
  "gateway.networking.k8s.io/HTTPRoute": [{ name: "Hostnames", type: "string", jsonPath: ".spec.hostnames" }, crdAge],
};
