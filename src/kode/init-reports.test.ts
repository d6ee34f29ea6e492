import { describe, expect, test } from "bun:test";
import { initContainerProblems } from "./init-reports.ts";
import { deriveStatus, transitions } from "./status.ts";
import type { Kode } from "../api/types.ts";

const pod = (statuses: { name: string; message?: string; last?: boolean }[]) => ({
  status: {
    initContainerStatuses: statuses.map((s) =>
      s.last ? { name: s.name, state: { running: {} }, lastState: { terminated: { exitCode: 0, message: s.message } } } : { name: s.name, state: { terminated: { exitCode: 0, message: s.message } } },
    ),
  },
});

describe("initContainerProblems", () => {
  test("all fine: nothing", () => {
    expect(initContainerProblems(pod([{ name: "kode-dotfiles", message: "result=installed\ncommit=abc\nscript=install.sh\nexit=0\n" }, { name: "kode-vscode", message: "settings=unchanged\ncached=golang.go\n" }, { name: "mine", message: "whatever=1" }]))).toEqual([]);
  });
  test("each report read by its own parser, in init order", () => {
    const p = initContainerProblems(
      pod([
        { name: "kode-devcontainer-clone", message: "clone=failed\nerror=fatal: repository not found \n" },
        { name: "kode-devcontainer-create", message: "onCreateCommand=0\npostCreateCommand=3\n" },
        { name: "kode-dotfiles", message: "result=linked\ncommit=abc\nconflicts=1\nconflict=.bashrc\n", last: true },
        { name: "kode-vscode", message: "settings=updated\nfailed=bad.ext: not found\n" },
      ]),
    );
    expect(p).toEqual([
      "kode-devcontainer-clone: the repository could not be cloned into the workspace: fatal: repository not found (see `kubectl logs <pod> -c kode-devcontainer-clone`; the IDE runs anyway)",
      "kode-devcontainer-create: postCreateCommand exited with 3: see `kubectl logs <pod> -c kode-devcontainer-create`; the IDE runs anyway. Delete ~/.kode/devcontainer/created to run the create commands again.",
      "kode-dotfiles: 1 dotfile not linked because home already has it: .bashrc (see `kubectl logs <pod> -c kode-dotfiles`; the IDE runs anyway)",
      "kode-vscode: extensions not installed: bad.ext: not found (see `kubectl logs <pod> -c kode-vscode`; the IDE runs anyway)",
    ]);
  });
  test("no pod, or no terminated state yet: nothing", () => {
    expect(initContainerProblems(undefined)).toEqual([]);
    expect(initContainerProblems({ status: { initContainerStatuses: [{ name: "kode-dotfiles", state: {} }] } })).toEqual([]);
  });
});

describe("EnvironmentReady condition and its Warning Event", () => {
  const kode: Kode = { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "n", generation: 1 }, spec: { templateRef: { name: "t" } } };
  const base = { kode, generation: 1, problems: [], deleting: false, now: "2026-01-01T00:00:00Z" };
  test("absent without a pod report; True with no problem; False with the messages, one Warning per change", () => {
    expect(deriveStatus(base).conditions!.map((c) => c.type)).toEqual(["Ready", "TemplateResolved", "ResourcesReady", "Progressing"]);
    const ok = deriveStatus({ ...base, environmentProblems: [] });
    expect(ok.conditions!.find((c) => c.type === "EnvironmentReady")).toMatchObject({ status: "True", reason: "Applied" });
    const bad = deriveStatus({ ...base, kode: { ...kode, status: ok }, environmentProblems: ["kode-dotfiles: x"] });
    expect(bad.conditions!.find((c) => c.type === "EnvironmentReady")).toMatchObject({ status: "False", reason: "InitContainerProblems", message: "kode-dotfiles: x" });
    expect(transitions(ok, bad).filter((e) => e.reason === "InitContainerProblems")).toEqual([{ type: "Warning", reason: "InitContainerProblems", message: "kode-dotfiles: x" }]);
    expect(transitions(bad, bad).filter((e) => e.reason === "InitContainerProblems")).toEqual([]);
  });
});
