// oidc-provider ships no type declarations; the tests use it as an OpenID provider on loopback.
declare module "oidc-provider" {
  const Provider: new (issuer: string, configuration: unknown) => { callback(): (req: unknown, res: unknown) => void };
  export default Provider;
}
