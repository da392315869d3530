// solc-js ships no type declarations; only what compile.ts uses is typed here.
declare module "solc" {
  const solc: {
    version(): string;
    compile(input: string, options?: { import?: (path: string) => { contents: string } | { error: string } }): string;
  };
  export default solc;
}
