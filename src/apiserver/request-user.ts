// Who made a request, remembered from authentication for the handlers that need it (admission policies).
import type { UserInfo } from "./auth.ts";

const users = new WeakMap<Request, UserInfo>();

export function rememberUser(req: Request, user: UserInfo | undefined) {
  if (user) users.set(req, user);
}

export function userOf(req: Request): UserInfo | undefined {
  return users.get(req);
}
