/**
 * Who may see which conversation: the heart of the contract.
 *
 * - A verified session sees the conversations created through a verified
 *   session for the same site, user (`externalUserId`) and workspace, on any
 *   device.
 * - A non-verified session (anonymous, pre-chat form, client user data) sees
 *   the non-verified conversations created on its own device, site and
 *   workspace.
 * - Verified and non-verified are never mixed, even on one device; nothing a
 *   browser sends (email, name, a claimed user id) enters the decision.
 */

/** What visibility needs to know of a session. */
export interface Viewer {
  siteId: string;
  /** The workspace's external id, or `null` for none. */
  workspace: string | null;
  verified: boolean;
  /** The verified user; `null` unless `verified`. */
  externalUserId: string | null;
  deviceId: string;
}

/** What visibility needs to know of a conversation: where and how it was created. */
export interface Owner {
  siteId: string;
  workspace: string | null;
  /** Whether it was created through a verified session. */
  verified: boolean;
  /** The verified user who created it; `null` unless `verified`. */
  externalUserId: string | null;
  /** The device it was created on. */
  deviceId: string;
}

/** Whether `viewer` may see the conversation `owner` describes. */
export function canSee(viewer: Viewer, owner: Owner): boolean {
  if (viewer.siteId !== owner.siteId || viewer.workspace !== owner.workspace) return false;
  if (viewer.verified !== owner.verified) return false;
  if (viewer.verified) return viewer.externalUserId !== null && viewer.externalUserId === owner.externalUserId;
  return viewer.deviceId === owner.deviceId;
}

/** The history a viewer may see, as the index the store keeps it under. */
export type HistoryIndex =
  | { kind: "verified"; siteId: string; workspace: string | null; externalUserId: string }
  | { kind: "device"; siteId: string; workspace: string | null; deviceId: string };

/** Where a viewer's history lives; listing it never looks elsewhere. */
export function historyOf(viewer: Viewer): HistoryIndex {
  if (viewer.verified) {
    if (viewer.externalUserId === null) throw new TypeError("Cannot index a verified viewer without a user");
    return {
      kind: "verified",
      siteId: viewer.siteId,
      workspace: viewer.workspace,
      externalUserId: viewer.externalUserId,
    };
  }
  return { kind: "device", siteId: viewer.siteId, workspace: viewer.workspace, deviceId: viewer.deviceId };
}

/** The index a conversation is filed under: the same one its creator's history reads. */
export function indexOf(owner: Owner): HistoryIndex {
  return historyOf(owner);
}
