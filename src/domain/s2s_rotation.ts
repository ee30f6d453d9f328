import { AppError } from "./app_error.ts";

/** What the rotation rules need to know of one server-to-server token. */
export interface TokenState {
  id: string;
  status: "active" | "revoked";
}

/**
 * Rotation keeps at most two active tokens: the current one and the one it
 * replaced, so that a customer can deploy the new token before revoking the
 * old. A second rotation while the previous token is still active is refused:
 * it would otherwise either leave three tokens active or revoke a token that
 * may already be deployed.
 */
export function checkRotation(tokens: readonly TokenState[], currentId: string): void {
  const previous = tokens.filter((t) => t.status === "active" && t.id !== currentId);
  if (previous.length > 0) {
    throw new AppError(
      "rotation_pending",
      `Cannot rotate the server token: ${previous.length} previous token is still active; call revoke-previous first`,
    );
  }
}

/** The tokens revoke-previous revokes: every active one but the current. */
export function tokensToRevoke<T extends TokenState>(tokens: readonly T[], currentId: string): T[] {
  return tokens.filter((t) => t.status === "active" && t.id !== currentId);
}
