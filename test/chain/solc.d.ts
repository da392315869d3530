// solc-js ships no type declarations; only what compile.ts uses is typed here.
declare module "solc" {
  const solc: {
    version(): string;
    compile(input: string, options?: { import?: (path: string) => { contents: string } | { error: string } }): string;
  };
  export default solc;
}

// Morpho Blue's release compiler (its Morpho.sol pins pragma 0.8.19): solc-js 0.8.19 under an npm alias.
declare module "solc-0.8.19" {
  import solc from "solc";
  export default solc;
}
