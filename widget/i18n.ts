/** The widget's words, in English and French. */
const en = {
  launcherOpen: "Open chat",
  launcherClose: "Close chat",
  title: "Chat with us",
  close: "Close",
  forget: "Forget me on this browser",
  verifiedAs: (who: string) => `Signed in as ${who}`,
  anonymous: "Not verified · this browser only",
  guest: (who: string) => `${who} · not verified`,
  notSignedIn: "Not signed in",
  signIn: "Sign in to chat with us.",
  signInHint: "Your conversations appear here once you are signed in.",
  signedOutShort: "Signed out",
  signedOut: "You have been signed out of the chat.",
  signedOutHint: "Sign in again to see your conversations.",
  prechatIntro: "Tell us who you are to start chatting.",
  name: "Name",
  email: "Email",
  start: "Start chatting",
  history: "Your conversations",
  empty: "No conversations yet.",
  emptyHere: "No conversations here yet.",
  notVerifiedWhy:
    "This chat is not verified: it shows only the conversations started on this browser without a verified sign-in, never those of a verified account. Verified by the site you use, you see your conversations from every device.",
  verified: "Verified",
  noMessage: "No message yet",
  newChat: "New chat",
  newTicket: "New ticket",
  newFlow: "Getting started",
  subject: "Subject",
  createTicket: "Create ticket",
  cancel: "Cancel",
  back: "Back to conversations",
  message: "Message",
  send: "Send",
  ticket: "Ticket",
  chat: "Chat",
  flow: "Getting started",
  you: "You",
  agent: "Support",
  loading: "Loading…",
  error: "Something went wrong. Please try again.",
};

const fr: typeof en = {
  launcherOpen: "Ouvrir le chat",
  launcherClose: "Fermer le chat",
  title: "Discutons",
  close: "Fermer",
  forget: "M'oublier sur ce navigateur",
  verifiedAs: (who) => `Connecté en tant que ${who}`,
  anonymous: "Non vérifié · ce navigateur seulement",
  guest: (who) => `${who} · non vérifié`,
  notSignedIn: "Non connecté",
  signIn: "Connectez-vous pour discuter avec nous.",
  signInHint: "Vos conversations apparaîtront ici une fois connecté.",
  signedOutShort: "Déconnecté",
  signedOut: "Vous avez été déconnecté du chat.",
  signedOutHint: "Reconnectez-vous pour retrouver vos conversations.",
  prechatIntro: "Présentez-vous pour commencer la discussion.",
  name: "Nom",
  email: "E-mail",
  start: "Commencer",
  history: "Vos conversations",
  empty: "Aucune conversation pour le moment.",
  emptyHere: "Aucune conversation ici pour le moment.",
  notVerifiedWhy:
    "Cette discussion n'est pas vérifiée : elle ne montre que les conversations commencées sur ce navigateur sans connexion vérifiée, jamais celles d'un compte vérifié. Vérifié par le site que vous utilisez, vous retrouvez vos conversations de tous vos appareils.",
  verified: "Vérifié",
  noMessage: "Pas encore de message",
  newChat: "Nouvelle discussion",
  newTicket: "Nouveau ticket",
  newFlow: "Bien démarrer",
  subject: "Objet",
  createTicket: "Créer le ticket",
  cancel: "Annuler",
  back: "Retour aux conversations",
  message: "Message",
  send: "Envoyer",
  ticket: "Ticket",
  chat: "Discussion",
  flow: "Bien démarrer",
  you: "Vous",
  agent: "Support",
  loading: "Chargement…",
  error: "Une erreur est survenue. Veuillez réessayer.",
};

/** The words of one locale. */
export type Words = typeof en;

/** The supported locales. */
export type Locale = "en" | "fr";

/** The words for `locale`, or for the browser's language when none is given. */
export function wordsFor(locale: Locale | undefined): { locale: Locale; words: Words } {
  const chosen = locale ?? (navigator.language?.toLowerCase().startsWith("fr") ? "fr" : "en");
  return { locale: chosen, words: chosen === "fr" ? fr : en };
}
