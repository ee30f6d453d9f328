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
  unconfirmedShort: "Account not confirmed",
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
    "You are chatting as a guest, so only the conversations you start on this browser appear here. Sign in to the site to see your conversations on all your devices.",
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
  unread: (n: number): string => (n === 1 ? "1 new message" : `${n} new messages`),
  startFailed: (code: string): string =>
    code === "network_error"
      ? "We cannot reach the chat right now. Check your connection and try again."
      : "The chat is not available right now. Please try again later.",
  retry: "Try again",
  unconfirmed: "We could not confirm your account.",
  unconfirmedHint: "You are still signed in to the site; the chat could not check who you are.",
  unconfirmedReload: "Your conversations are safe. Reload the page to try again.",
  signInAction: "Sign in",
  cannotSignIn: "Cannot sign in?",
  contact: "Contact us",
  subjectMissing: "Give your ticket a subject.",
  greeting: "Hi! How can we help? Send us a message and we will reply here.",
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
  unconfirmedShort: "Compte non confirmé",
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
    "Vous discutez en invité : seules les conversations commencées sur ce navigateur apparaissent ici. Connectez-vous au site pour retrouver vos conversations sur tous vos appareils.",
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
  unread: (n) => (n === 1 ? "1 nouveau message" : `${n} nouveaux messages`),
  startFailed: (code) =>
    code === "network_error"
      ? "Impossible de joindre le chat pour le moment. Vérifiez votre connexion et réessayez."
      : "Le chat n'est pas disponible pour le moment. Veuillez réessayer plus tard.",
  retry: "Réessayer",
  unconfirmed: "Nous n'avons pas pu confirmer votre compte.",
  unconfirmedHint: "Vous êtes toujours connecté au site ; le chat n'a pas pu vérifier qui vous êtes.",
  unconfirmedReload: "Vos conversations sont en sécurité. Rechargez la page pour réessayer.",
  signInAction: "Se connecter",
  cannotSignIn: "Impossible de vous connecter ?",
  contact: "Contactez-nous",
  subjectMissing: "Donnez un objet à votre ticket.",
  greeting: "Bonjour ! Comment pouvons-nous vous aider ? Écrivez-nous, nous vous répondrons ici.",
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
