#!/usr/bin/env bun
// kode: the kode-operator executable. Subcommands are dispatched here and live with their feature.
// Each is imported only when it runs: the operator then never loads the API server (nor its CEL, schemas and
// storage), which keeps its memory down.

const USAGE = `Usage: kode <command> [flags]

Commands:
  sandbox     the embedded API server with the CRDs and the operator running: try kode without a cluster
  operator    run the operator against a cluster
  apiserver   run the embedded, envtest-like Kubernetes API server alone
  render      print the objects a Kode would get, offline (-f FILE)
  crds        print the CustomResourceDefinitions (--write DIR writes one file each)
  version     print the version

Run 'kode <command> --help' for the flags of a command.
`;

export const VERSION = "0.1.0";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "sandbox":
      return (await import("./operator/sandbox.ts")).sandboxCommand(rest);
    case "operator":
      return (await import("./operator/cli.ts")).operatorCommand(rest);
    case "apiserver":
      return (await import("./apiserver/cli.ts")).apiserverCommand(rest);
    case "render":
      return (await import("./kode/render-command.ts")).renderCommand(rest);
    case "crds":
      return (await import("./api/crds-command.ts")).crdsCommand(rest);
    case "version":
    case "--version":
      console.log(`kode ${VERSION}`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  console.error("run 'kode <command> --help' for usage");
  process.exitCode = 1;
}
