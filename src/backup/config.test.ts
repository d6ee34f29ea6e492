import { describe, expect, test } from "bun:test";
import { passwordSecretName, repositoryUrl, resticHost } from "./config.ts";

describe("backup names", () => {
  test("repository per namespace, Kode and uid under the prefix", () => {
    expect(repositoryUrl({ endpoint: "https://s3.example.com/", bucket: "kodes", prefix: "/team-a/" }, "dev", "alice", "1234-abcd"))
      .toBe("s3:https://s3.example.com/kodes/team-a/dev/alice-1234-abcd");
    expect(repositoryUrl({ endpoint: "https://minio:9000", bucket: "b01" }, "ns", "k", "u1")).toBe("s3:https://minio:9000/b01/ns/k-u1");
  });
  test("password Secret name carries the uid and stays a valid name", () => {
    expect(passwordSecretName("alice", "0f1e2d3c-4b5a-6978-8897-a6b5c4d3e2f1")).toBe("alice-backup-0f1e2d3c");
    const long = passwordSecretName("k".repeat(63), "abcdef12-0000");
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long.endsWith("-backup-abcdef12")).toBe(true);
  });
  test("host", () => expect(resticHost("dev", "alice")).toBe("dev/alice"));
});
