#!/usr/bin/env bun
// kode: the kode-operator executable. Subcommands are dispatched here and live with their feature.
import { APISERVER_USAGE, apiserverCommand } from "./apiserver/cli.ts";

const USAGE = `Usage: kode <command> [flags]

Commands:
  apiserver   run the embedded, envtest-like Kubernetes API server
  version     print the version

Run 'kode <command> --help' for the flags of a command.
`;

export const VERSION = "0.1.0";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "apiserver":
      return apiserverCommand(rest);
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
  if (process.argv.includes("apiserver")) console.error(APISERVER_USAGE);
  process.exitCode = 1;
}
