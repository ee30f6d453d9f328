import type { ClientUser } from "../contract/widget.ts";

/** JSON custom data. */
export type CustomData = Record<string, unknown>;

/** What the page or the visitor said; never trusted. */
export interface NonVerifiedProfile {
  name: string | null;
  email: string | null;
  externalUserId: string | null;
  source: "prechat_form" | "page";
}

/** What a visitor token says about its user. */
export interface VerifiedProfile {
  externalUserId: string;
  email: string | null;
  name: string | null;
  provider: string | null;
  customData: CustomData;
}

/** A visitor's data: verified and non-verified kept apart. */
export interface VisitorData {
  verified: VerifiedProfile | null;
  nonVerified: NonVerifiedProfile | null;
  nonVerifiedCustomData: CustomData;
}

/** The empty visitor. */
export const NEW_VISITOR: VisitorData = { verified: null, nonVerified: null, nonVerifiedCustomData: {} };

/** A fresh visitor token replaces the verified profile: the customer's backend is the authority. */
export function withVerifiedProfile(visitor: VisitorData, profile: VerifiedProfile): VisitorData {
  return { ...visitor, verified: profile };
}

/**
 * Client data lands in the non-verified fields only: it never touches the
 * verified profile, whatever its keys. Given fields replace earlier ones;
 * absent fields are kept. Custom data is replaced whole, never merged: the
 * stored copy stays as small as one request's (4 KiB), however many sessions.
 */
export function withClientUser(visitor: VisitorData, user: ClientUser): VisitorData {
  const previous = visitor.nonVerified;
  return {
    ...visitor,
    nonVerified: {
      name: user.name ?? previous?.name ?? null,
      email: user.email ?? previous?.email ?? null,
      externalUserId: user.externalUserId ?? previous?.externalUserId ?? null,
      source: user.source,
    },
    nonVerifiedCustomData: user.customData ?? visitor.nonVerifiedCustomData,
  };
}
