// `kode crds`: print the kode.jacero.io CRDs as YAML, or write them with `--write <dir>`.
// Also runnable directly: `npx bun src/api/crds-command.ts --write manifests/crds`.
import { renderCrdsYaml, writeCrdFiles } from "./crds.ts";

export const CRDS_USAGE = `Usage: kode crds [--write <dir>]

Print the kode.jacero.io CustomResourceDefinitions as one multi-document YAML stream,
or with --write write one file per CRD plus kustomization.yaml into <dir>
(the repository keeps them in manifests/crds).

  kode crds | kubectl apply -f -
  kode crds --write manifests/crds
`;

export async function crdsCommand(argv: string[]): Promise<number> {
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      console.log(CRDS_USAGE);
      return 0;
    } else if (arg === "--write" || arg === "-w") {
      dir = argv[++i];
      if (!dir) {
        console.error(`--write needs a directory\n\n${CRDS_USAGE}`);
        return 2;
      }
    } else if (arg.startsWith("--write=")) {
      dir = arg.slice("--write=".length);
    } else {
      console.error(`unknown argument "${arg}"\n\n${CRDS_USAGE}`);
      return 2;
    }
  }
  if (dir === undefined) {
    process.stdout.write(renderCrdsYaml());
    return 0;
  }
  for (const path of await writeCrdFiles(dir)) console.error(`wrote ${path}`);
  return 0;
}

if (import.meta.main) {
  process.exitCode = await crdsCommand(process.argv.slice(2));
}
