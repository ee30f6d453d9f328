import type { ClientUser, IdentityMethod } from "../contract/widget.ts";
import { AppError } from "./app_error.ts";

/** Which identity method a session request asks for: only a visitor token verifies. */
export function identityMethod(
  request: { visitorToken?: string | undefined; user?: ClientUser | undefined },
): IdentityMethod {
  if (request.visitorToken !== undefined) return "visitor_token";
  if (request.user === undefined) return "anonymous";
  return request.user.source === "prechat_form" ? "prechat_form" : "client_user_data";
}

/**
 * The workspace of a session. A visitor token minted with a workspace binds
 * it: asking for another one, or for none, is refused. Otherwise the
 * widget's workspace (or none) applies.
 */
export function sessionWorkspace(requested: string | null, tokenWorkspace: string | undefined): string | null {
  if (tokenWorkspace === undefined || tokenWorkspace === requested) return requested;
  throw new AppError(
    "workspace_mismatch",
    `Cannot start the session: the visitor token is bound to workspace "${tokenWorkspace}", the widget asked for ${
      requested === null ? "no workspace" : `"${requested}"`
    }`,
  );
}
