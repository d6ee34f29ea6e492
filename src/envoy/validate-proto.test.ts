// The validator must be able to fail: each deliberately broken bootstrap below is rejected for the right reason.
import { describe, expect, test } from "bun:test";
import { htpasswdLine } from "./htpasswd.ts";
import { renderEnvoy, type EnvoyRender } from "./render.ts";
import { validateRender } from "./testing.ts";
import { checkHtpasswd, checkLoadTime, validateBootstrap, validateEnvoyMessage, validateSdsFile } from "./validate-proto.ts";

type J = Record<string, any>;

const basic = (): EnvoyRender =>
  renderEnvoy({
    kode: { name: "k", namespace: "ns", user: "dev" },
    idePort: 8443,
    ideType: "code-server",
    config: { kind: "EnvoyProxyClusterConfig", name: "basic", spec: { authType: "basic" } },
    credentials: { username: "dev", password: "pw" },
  });

const hcm = (b: J): J => b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
/** Mutate a copy of a valid render's bootstrap and return the proto issues' messages. */
const protoIssues = (mutate: (b: J) => void): string[] => {
  const b = structuredClone(basic().bootstrap) as J;
  mutate(b);
  return validateBootstrap(b).map((i) => `${i.path}: ${i.message}`);
};

describe("proto validation (Envoy's API from @grpc/grpc-js-xds)", () => {
  test("the reference render is valid (so failures below are caused by the mutation)", () => {
    expect(validateRender(basic())).toEqual([]);
  });

  test("unknown fields fail, with their path, in the bootstrap and inside typed_config", () => {
    expect(protoIssues((b) => (b.static_resources.listeners[0].address.socket_address.port_valu = 1))).toEqual([
      expect.stringContaining('static_resources.listeners[0].address.socket_address.port_valu: unknown field "port_valu"'),
    ]);
    const inner = protoIssues((b) => {
      const f = hcm(b).http_filters.find((x: J) => x.name === "kode.basic_auth");
      f.typed_config.forward_usrname_header = "x";
    });
    expect(inner).toHaveLength(1);
    expect(inner[0]).toContain('unknown field "forward_usrname_header" in envoy.extensions.filters.http.basic_auth.v3.BasicAuth');
    expect(protoIssues((b) => (b.static_resources.generic_secrets = []))[0]).toContain('unknown field "generic_secrets"');
  });

  test("lowerCamel JSON names are accepted like proto names", () => {
    expect(protoIssues((b) => (b.static_resources.clusters[0].connectTimeout = b.static_resources.clusters[0].connect_timeout))).toEqual([]);
  });

  test("wrong types fail", () => {
    expect(protoIssues((b) => (b.static_resources.listeners[0].address.socket_address.port_value = "eighty"))[0]).toContain("expected an integer");
    expect(protoIssues((b) => (b.static_resources.listeners[0].address.socket_address.port_value = -1))[0]).toContain("non-negative");
    expect(protoIssues((b) => (hcm(b).stat_prefix = 5))[0]).toContain("expected a string");
    expect(protoIssues((b) => (hcm(b).normalize_path = "yes"))[0]).toContain("expected true or false");
    expect(protoIssues((b) => (b.static_resources.clusters[0].connect_timeout = "5 seconds"))[0]).toContain("expected a duration");
    expect(protoIssues((b) => (hcm(b).upgrade_configs = { upgrade_type: "websocket" }))[0]).toContain("must be a list");
    expect(protoIssues((b) => (b.static_resources.listeners = {}))[0]).toContain("must be a list");
    expect(protoIssues((b) => (b.admin.address = "127.0.0.1:9901"))[0]).toContain("expected an object");
  });

  test("enums: names (case-insensitive like Envoy) or numbers; anything else fails", () => {
    expect(protoIssues((b) => (b.static_resources.clusters[0].type = "static"))).toEqual([]);
    expect(protoIssues((b) => (b.static_resources.clusters[0].lb_policy = "round_robin"))).toEqual([]);
    expect(protoIssues((b) => (b.static_resources.clusters[0].type = "STATICC"))[0]).toContain("is not a value of enum DiscoveryType");
  });

  test("an unknown @type in an Any (typed_config) fails; a missing @type fails", () => {
    const unknown = protoIssues((b) => (hcm(b).http_filters[0].typed_config["@type"] = "type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope"));
    expect(unknown).toEqual([expect.stringContaining('unknown type "type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope"')]);
    const missing = protoIssues((b) => delete hcm(b).http_filters[0].typed_config["@type"]);
    expect(missing[0]).toContain('Any needs "@type"');
  });

  test("unset required oneofs and a oneof set twice fail", () => {
    // SocketAddress.port_specifier is a (validate.required) oneof.
    expect(protoIssues((b) => delete b.static_resources.listeners[0].address.socket_address.port_value)[0]).toContain(
      "one of port_value | named_port is required",
    );
    // DataSource.specifier: filename and inline_string together.
    const both = protoIssues((b) => {
      hcm(b).http_filters.find((x: J) => x.name === "kode.basic_auth").typed_config.users.inline_string = "x";
    });
    expect(both[0]).toContain('oneof "specifier"');
  });

  test("PGV: required messages, min_len strings and min_items lists fail when missing", () => {
    const oauth = {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2",
      config: { token_endpoint: { cluster: "c", uri: "https://x/token", timeout: "5s" }, authorization_endpoint: "", redirect_uri: "x" },
    };
    const msgs = validateEnvoyMessage(oauth, "google.protobuf.Any").map((i) => i.message);
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"authorization_endpoint" must have at least 1'),
        expect.stringContaining('required field "credentials"'),
        expect.stringContaining('required field "redirect_path_matcher"'),
        expect.stringContaining('required field "signout_path"'),
      ]),
    );
    const rbac = { "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC", rules: { policies: { p: { permissions: [{ any: true }], principals: [] } } } };
    expect(validateEnvoyMessage(rbac, "google.protobuf.Any").map((i) => i.message)).toEqual([expect.stringContaining('"principals" needs at least 1')]);
  });

  test("SDS files are DiscoveryResponses", () => {
    const ok = { resources: [{ "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", name: "t", generic_secret: { secret: { filename: "/x" } } }] };
    expect(validateSdsFile(ok)).toEqual([]);
    const bad = structuredClone(ok) as J;
    bad.resources[0].generic_secrets = bad.resources[0].generic_secret;
    expect(validateSdsFile(bad)[0]!.message).toContain('unknown field "generic_secrets"');
  });
});

describe("load-time checks", () => {
  const files = (r: EnvoyRender, secretFiles = r.secretFiles) => ({
    volumeMounts: r.container.volumeMounts,
    volumes: { "envoy-bootstrap": r.configMap.data, "envoy-auth": secretFiles },
  });
  const loadIssues = (mutate: (b: J, r: EnvoyRender) => void, withFiles = true): string[] => {
    const r = basic();
    const b = structuredClone(r.bootstrap) as J;
    mutate(b, r);
    return checkLoadTime(b, withFiles ? files(r) : undefined).map((i) => `${i.path}: ${i.message}`);
  };

  test("the router must be the last HTTP filter, exactly once", () => {
    expect(loadIssues(() => {})).toEqual([]);
    expect(loadIssues((b) => hcm(b).http_filters.reverse())[0]).toContain("router filter must appear exactly once, as the last");
    expect(loadIssues((b) => hcm(b).http_filters.pop())[0]).toContain("router filter must appear exactly once");
    expect(loadIssues((b) => hcm(b).http_filters.push(structuredClone(hcm(b).http_filters.at(-1))))[0]).toContain("exactly once");
  });

  test("listener ports must be unique (admin included)", () => {
    expect(loadIssues((b) => (b.static_resources.listeners[1].address.socket_address.port_value = 10080))[0]).toContain("port 10080 is used by listener ide");
    expect(loadIssues((b) => (b.admin.address.socket_address.port_value = 19003))[0]).toContain("port 19003 is used by admin");
  });

  test("every cluster a route or filter names must be defined; cluster names are unique", () => {
    expect(loadIssues((b) => (hcm(b).route_config.virtual_hosts[0].routes[0].route.cluster = "nope"))[0]).toContain('cluster "nope" is not defined');
    expect(
      loadIssues((b) => {
        hcm(b).http_filters.splice(-1, 0, {
          name: "x",
          typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", grpc_service: { envoy_grpc: { cluster_name: "opa" } } },
        });
      })[0],
    ).toContain('cluster "opa" is not defined');
    expect(loadIssues((b) => b.static_resources.clusters.push(structuredClone(b.static_resources.clusters[0])))[0]).toContain('duplicate clusters name "ide"');
  });

  test("every file the bootstrap names must come from a volume mount", () => {
    const r = basic();
    expect(checkLoadTime(r.bootstrap, { ...files(r), volumeMounts: r.container.volumeMounts.filter((m) => m.name !== "envoy-auth") })[0]!.message).toContain(
      "file /etc/envoy/auth/htpasswd is not provided by any volume mount",
    );
    expect(checkLoadTime(r.bootstrap, files(r, {}))[0]!.message).toContain("/etc/envoy/auth/htpasswd is not provided");
    expect(
      loadIssues((b) => (hcm(b).http_filters.find((x: J) => x.name === "kode.basic_auth").typed_config.users.filename = "/etc/htpasswd"))[0],
    ).toContain("/etc/htpasswd is not provided");
  });

  test("htpasswd lines must be {SHA} with 28 base64 characters, unique users", () => {
    expect(checkHtpasswd(`${htpasswdLine("dev", "pw")}\n`)).toEqual([]);
    expect(checkHtpasswd("# comment\n\ndev:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")).toEqual([]);
    expect(checkHtpasswd("dev:$apr1$abc$def\n")[0]).toContain("is not");
    expect(checkHtpasswd("dev:{SHA}short=\n")[0]).toContain("is not");
    expect(checkHtpasswd(Buffer.from("dev:pw").toString("base64"))[0]).toContain("is not"); // the prototype's bug
    expect(checkHtpasswd("a:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\na:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")).toEqual(['htpasswd user "a" appears twice']);
    expect(checkHtpasswd("\n")).toEqual(["htpasswd has no users"]);
    const r = basic();
    expect(checkLoadTime(r.bootstrap, files(r, { htpasswd: "dev:devpassword\n" })).map((i) => i.message)).toEqual([
      expect.stringContaining("htpasswd line 1"),
    ]);
  });
});
