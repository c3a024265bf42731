// Bundles code that runs inside the extension host (an extension, or host tests):
// CommonJS for Node, `vscode` left to the host's module loader, inline source maps so
// stack traces in reports point at the .ts sources.
import { build, type StdinOptions } from 'esbuild';

export async function bundleForExtensionHost(input: { entry: string } | { stdin: StdinOptions }, outfile: string): Promise<void> {
  await build({
    ...('entry' in input ? { entryPoints: [input.entry] } : { stdin: input.stdin }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}
