/** The widget's words, in English and French. */
const en = {
  launcherOpen: "Open chat",
  launcherClose: "Close chat",
  title: "Chat with us",
  close: "Close",
  reset: "Sign out of chat",
  resetShort: "Sign out",
  verifiedAs: (who: string) => `Signed in as ${who}`,
  notVerified: "Not signed in",
  guest: (who: string) => `Chatting as ${who}`,
  signedOutShort: "Signed out",
  signedOut: "You have been signed out of the chat.",
  signedOutHint: "Sign in again to see your conversations.",
  prechatIntro: "Tell us who you are to start chatting.",
  name: "Name",
  email: "Email",
  start: "Start chatting",
  history: "Your conversations",
  empty: "No conversations yet.",
  newChat: "New chat",
  newTicket: "New ticket",
  newFlow: "Get started",
  subject: "Subject",
  createTicket: "Create ticket",
  cancel: "Cancel",
  back: "Back to conversations",
  message: "Message",
  send: "Send",
  ticket: "Ticket",
  chat: "Chat",
  flow: "Guided help",
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
  reset: "Se déconnecter du chat",
  resetShort: "Déconnexion",
  verifiedAs: (who) => `Connecté en tant que ${who}`,
  notVerified: "Non connecté",
  guest: (who) => `Vous discutez en tant que ${who}`,
  signedOutShort: "Déconnecté",
  signedOut: "Vous avez été déconnecté du chat.",
  signedOutHint: "Reconnectez-vous pour retrouver vos conversations.",
  prechatIntro: "Présentez-vous pour commencer la discussion.",
  name: "Nom",
  email: "E-mail",
  start: "Commencer",
  history: "Vos conversations",
  empty: "Aucune conversation pour le moment.",
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
  flow: "Aide guidée",
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
