/**
 * The target's variables, by the name fixtures use, with the environment
 * variable of each: the same names as the vendor docs' curl example.
 */
export const ENV_NAMES = {
  serverToken: "SETCHAT_SERVER_TOKEN",
  adminToken: "SETCHAT_ADMIN_TOKEN",
  tenantId: "SETCHAT_TENANT_ID",
  siteApiKey: "SETCHAT_SITE_API_KEY",
  otherSiteApiKey: "SETCHAT_OTHER_SITE_API_KEY",
  foreignSiteApiKey: "SETCHAT_FOREIGN_SITE_API_KEY",
  foreignTenantId: "SETCHAT_FOREIGN_TENANT_ID",
  foreignAdminToken: "SETCHAT_FOREIGN_ADMIN_TOKEN",
  foreignServerToken: "SETCHAT_FOREIGN_SERVER_TOKEN",
  foreignOtherSiteApiKey: "SETCHAT_FOREIGN_OTHER_SITE_API_KEY",
} as const;

/** A variable the target provides. */
export type TargetVariable = keyof typeof ENV_NAMES;

/** Every target variable. */
export const TARGET_VARIABLES = Object.keys(ENV_NAMES) as TargetVariable[];

/** Which target variables are secrets (never shown in reports). */
export const SECRET_VARIABLES: readonly TargetVariable[] = [
  "serverToken",
  "adminToken",
  "foreignAdminToken",
  "foreignServerToken",
];
