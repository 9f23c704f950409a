// French and English for "My phones" (the contract is French), chosen from Accept-Language. The support
// console is in English only (staff tool).

export type Lang = "fr" | "en";

/** The first of fr/en in the header by q-value; English when neither is named. */
export function pickLang(acceptLanguage: string | undefined): Lang {
  let best: { lang: Lang; q: number } | null = null;
  for (const part of (acceptLanguage ?? "").slice(0, 500).split(",")) {
    const [tag, ...params] = part.trim().toLowerCase().split(";");
    const q = Number(
      params
        .find((p) => p.trim().startsWith("q="))
        ?.trim()
        .slice(2) ?? "1",
    );
    const lang = tag?.startsWith("fr") ? "fr" : tag?.startsWith("en") ? "en" : null;
    if (lang && Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? "en";
}

export const locale = (l: Lang) => (l === "fr" ? "fr-FR" : "en-GB");

export function formatDate(iso: string | number | Date | null | undefined, l: Lang, withTime = true): string {
  if (iso == null) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return (
    new Intl.DateTimeFormat(locale(l), {
      dateStyle: "long",
      ...(withTime ? { timeStyle: "short" } : {}),
      timeZone: "UTC",
    }).format(d) + (withTime ? " UTC" : "")
  );
}

const en = {
  title: "My phones",
  signInTitle: "Sign in to see your phones",
  address: "Mail address",
  password: "Password",
  signIn: "Sign in",
  signOut: "Sign out",
  wrongLogin: "The address or the password is wrong.",
  serverDown: "Your mail server could not be reached to check the password. Please try again in a few minutes.",
  locked: (until: string) => `Too many wrong passwords: this account is locked until ${until}. Your phones are locked out too until then.`,
  needHttps: "This page must be opened over https.",
  signedInAs: (a: string) => `Signed in as ${a}`,
  phones: "Your phones",
  noPhones: "No phone has synchronised with this mailbox yet.",
  phone: "Phone",
  lastSync: "Last synchronisation",
  firstSeen: "First seen",
  status: "Status",
  actions: "Actions",
  wipe: "Wipe this phone",
  remove: "Remove this phone",
  wipePending: "Wipe requested: it happens the next time the phone connects.",
  wiped: "Wiped",
  accountWipePending: "Removal of this mailbox requested: it happens the next time the phone connects.",
  accountWiped: "This mailbox was removed from the phone",
  blocked: "Blocked by your provider",
  quarantined: "Waiting for your provider's approval",
  syncing: "Synchronising",
  paused: "Paused while the service is suspended",
  yes: "Yes",
  confirmWipeTitle: "Wipe this phone?",
  confirmWipe:
    "The next time this phone connects, it erases all of its data and returns to factory settings — not only this mailbox. Use this for a lost or stolen phone. It cannot be undone once the phone has done it.",
  confirmRemoveTitle: "Remove this phone?",
  confirmRemove:
    "The phone is forgotten here: it stops receiving mail until it is set up again, which it may try to do on its own. Nothing on the phone is erased. To erase a lost phone, wipe it instead.",
  yesWipe: "Yes, wipe it",
  accountOnlyTitle: "Or remove only this mailbox from the phone",
  confirmAccountOnly:
    "This phone can remove just this mailbox — its mail, calendar and contacts — and keep everything else (photos, apps, other accounts). Use this for a phone you keep, sell or hand back, not for a lost one.",
  yesAccountOnly: "Remove only this mailbox's data",
  wholePhoneOnly: "This phone cannot remove only this mailbox (it uses an older version of the protocol): a wipe erases the whole phone.",
  doneWipeAccount: "Removing this mailbox's data from the phone is requested. It is recorded in your account's log.",
  yesRemove: "Yes, remove it",
  cancel: "Cancel",
  doneWipe: "The wipe is requested. It is recorded in your account's log.",
  doneRemove: "The phone was removed. It is recorded in your account's log.",
  noSuchPhone: "That phone is not (or no longer) linked to your mailbox.",
  subscription: "Your subscription",
  noSubscription: "No subscription is recorded for this mailbox.",
  state: "State",
  term: "Current term",
  termRange: (a: string, b: string) => `from ${a} to ${b}`,
  renews: "Renews automatically",
  endsAtTerm: "Ends at the end of the term",
  graceUntil: "Payment awaited until",
  price: "Price per year",
  statuses: {
    pending_payment: "Waiting for payment",
    active: "Active",
    grace: "Active, renewal payment awaited",
    suspended: "Suspended",
    expired: "Expired",
    withdrawn: "Withdrawn",
    cancelled: "Cancelled",
    terminated: "Terminated",
  } as Record<string, string>,
  suspendedIntro: "Your phones cannot synchronise while the service is suspended. Your mail is kept.",
  whyTitle: "Why the service is suspended",
  found: "What we found",
  expected: "What we expect",
  toDo: "What to change",
  checkedAt: (d: string) => `Last checked ${d}.`,
  afterFix:
    "Once it is fixed, the service comes back on its own at the next check (every 15 minutes), or contact support to check at once.",
  conditions: {
    domain_held: "Your domain is registered with us",
    address_exists: "The mail address exists",
    provider_dns: "Your domain uses our name servers",
    mx_pop3: "Your domain's mail records point to us",
  } as Record<string, string>,
  illicit: "The service was suspended after a third party reported illicit use of this mailbox.",
  illicitToDo: "Answer your provider's message with documents showing the use complies with the law (contract §4).",
  other: "The service was suspended by your provider.",
  otherToDo: "Contact your provider's support.",
  reasonGiven: "Reason given",
  lost: {
    notInRecords: "The domain is no longer in our records.",
    ownStatus: (s: string) => `Our records say the domain is ${s === "transferred_out" ? "transferred to another registrar" : s}.`,
    expired: (d: string) => `The domain registration expired on ${d}.`,
    registrar: (name: string) => `The registry says the domain is held by ${name}.`,
    dying: "The registry says the domain is about to be deleted.",
    noDomain: "The registry has no such domain.",
    domainToDo: "Renew the domain with us, or transfer it back to us.",
    noAccount: "This mail address no longer exists on our servers.",
    accountToDo: "Contact support.",
    ns: (seen: string) => `Your domain's name servers are ${seen}.`,
    noNs: "Your domain has no name servers.",
    nsToDo: (want: string) => `At your registrar, set the name servers back to ${want}.`,
    mx: (seen: string) => `Your domain's MX (mail) records point to ${seen}.`,
    noMx: "Your domain has no MX (mail) record.",
    mxToDo: (want: string) => `Set the MX records back to ${want}.`,
    pop3: (name: string, seen: string) => `${name} points to ${seen}.`,
    noPop3: (name: string) => `${name} has no record.`,
    pop3ToDo: (name: string, want: string) => `Set ${name} back to a CNAME record to ${want}.`,
    nothing: "nothing",
  },
  lang: "Français",
};

export type Messages = typeof en;

const fr: Messages = {
  title: "Mes téléphones",
  signInTitle: "Connectez-vous pour voir vos téléphones",
  address: "Adresse de messagerie",
  password: "Mot de passe",
  signIn: "Se connecter",
  signOut: "Se déconnecter",
  wrongLogin: "L'adresse ou le mot de passe est incorrect.",
  serverDown: "Votre serveur de messagerie n'a pas pu être joint pour vérifier le mot de passe. Réessayez dans quelques minutes.",
  locked: (until: string) =>
    `Trop de mots de passe erronés : ce compte est verrouillé jusqu'au ${until}. Vos téléphones le sont aussi jusque-là.`,
  needHttps: "Cette page doit être ouverte en https.",
  signedInAs: (a: string) => `Connecté en tant que ${a}`,
  phones: "Vos téléphones",
  noPhones: "Aucun téléphone ne s'est encore synchronisé avec cette boîte.",
  phone: "Téléphone",
  lastSync: "Dernière synchronisation",
  firstSeen: "Vu pour la première fois",
  status: "État",
  actions: "Actions",
  wipe: "Effacer ce téléphone",
  remove: "Retirer ce téléphone",
  wipePending: "Effacement demandé : il aura lieu à la prochaine connexion du téléphone.",
  wiped: "Effacé",
  accountWipePending: "Retrait de cette boîte demandé : il aura lieu à la prochaine connexion du téléphone.",
  accountWiped: "Cette boîte a été retirée du téléphone",
  blocked: "Bloqué par votre fournisseur",
  quarantined: "En attente d'approbation par votre fournisseur",
  syncing: "Synchronisé",
  paused: "En pause tant que le service est suspendu",
  yes: "Oui",
  confirmWipeTitle: "Effacer ce téléphone ?",
  confirmWipe:
    "À sa prochaine connexion, ce téléphone efface toutes ses données et revient aux réglages d'usine — pas seulement cette boîte. À utiliser pour un téléphone perdu ou volé. C'est irréversible une fois fait par le téléphone.",
  confirmRemoveTitle: "Retirer ce téléphone ?",
  confirmRemove:
    "Le téléphone est oublié ici : il ne reçoit plus de messages tant qu'il n'est pas configuré à nouveau, ce qu'il peut tenter de lui-même. Rien n'est effacé sur le téléphone. Pour effacer un téléphone perdu, utilisez plutôt l'effacement.",
  yesWipe: "Oui, l'effacer",
  accountOnlyTitle: "Ou retirer seulement cette boîte du téléphone",
  confirmAccountOnly:
    "Ce téléphone peut retirer uniquement cette boîte — ses messages, son agenda et ses contacts — et garder tout le reste (photos, applications, autres comptes). À utiliser pour un téléphone que vous gardez, vendez ou rendez, pas pour un téléphone perdu.",
  yesAccountOnly: "Retirer seulement les données de cette boîte",
  wholePhoneOnly:
    "Ce téléphone ne sait pas retirer seulement cette boîte (il utilise une version plus ancienne du protocole) : l'effacement efface tout le téléphone.",
  doneWipeAccount: "Le retrait des données de cette boîte du téléphone est demandé. C'est inscrit au journal de votre compte.",
  yesRemove: "Oui, le retirer",
  cancel: "Annuler",
  doneWipe: "L'effacement est demandé. C'est inscrit au journal de votre compte.",
  doneRemove: "Le téléphone a été retiré. C'est inscrit au journal de votre compte.",
  noSuchPhone: "Ce téléphone n'est pas (ou plus) lié à votre boîte.",
  subscription: "Votre abonnement",
  noSubscription: "Aucun abonnement n'est enregistré pour cette boîte.",
  state: "État",
  term: "Période en cours",
  termRange: (a: string, b: string) => `du ${a} au ${b}`,
  renews: "Renouvellement automatique",
  endsAtTerm: "Prend fin au terme de la période",
  graceUntil: "Paiement attendu jusqu'au",
  price: "Prix annuel",
  statuses: {
    pending_payment: "En attente de paiement",
    active: "Actif",
    grace: "Actif, paiement du renouvellement attendu",
    suspended: "Suspendu",
    expired: "Expiré",
    withdrawn: "Rétracté",
    cancelled: "Résilié",
    terminated: "Terminé",
  },
  suspendedIntro: "Vos téléphones ne peuvent pas se synchroniser tant que le service est suspendu. Vos messages sont conservés.",
  whyTitle: "Pourquoi le service est suspendu",
  found: "Ce que nous avons constaté",
  expected: "Ce que nous attendons",
  toDo: "Ce qu'il faut changer",
  checkedAt: (d: string) => `Dernière vérification : ${d}.`,
  afterFix:
    "Une fois corrigé, le service reprend de lui-même à la vérification suivante (toutes les 15 minutes), ou contactez le support pour une vérification immédiate.",
  conditions: {
    domain_held: "Votre domaine est enregistré chez nous",
    address_exists: "L'adresse de messagerie existe",
    provider_dns: "Votre domaine utilise nos serveurs de noms",
    mx_pop3: "Les enregistrements de messagerie de votre domaine pointent vers nous",
  },
  illicit: "Le service a été suspendu après le signalement par un tiers d'un usage illicite de cette boîte.",
  illicitToDo:
    "Répondez au message de votre fournisseur avec les justificatifs montrant que l'usage est conforme à la loi (article 4 du contrat).",
  other: "Le service a été suspendu par votre fournisseur.",
  otherToDo: "Contactez le support de votre fournisseur.",
  reasonGiven: "Motif indiqué",
  lost: {
    notInRecords: "Le domaine ne figure plus dans nos registres.",
    ownStatus: (s: string) =>
      `Nos registres indiquent que le domaine est ${s === "transferred_out" ? "transféré chez un autre bureau d'enregistrement" : s === "expired" ? "expiré" : s === "deleted" ? "supprimé" : s}.`,
    expired: (d: string) => `L'enregistrement du domaine a expiré le ${d}.`,
    registrar: (name: string) => `Le registre indique que le domaine est géré par ${name}.`,
    dying: "Le registre indique que le domaine est sur le point d'être supprimé.",
    noDomain: "Le registre ne connaît pas ce domaine.",
    domainToDo: "Renouvelez le domaine chez nous, ou transférez-le à nouveau chez nous.",
    noAccount: "Cette adresse de messagerie n'existe plus sur nos serveurs.",
    accountToDo: "Contactez le support.",
    ns: (seen: string) => `Les serveurs de noms de votre domaine sont ${seen}.`,
    noNs: "Votre domaine n'a aucun serveur de noms.",
    nsToDo: (want: string) => `Chez votre bureau d'enregistrement, remettez les serveurs de noms ${want}.`,
    mx: (seen: string) => `Les enregistrements MX (messagerie) de votre domaine pointent vers ${seen}.`,
    noMx: "Votre domaine n'a aucun enregistrement MX (messagerie).",
    mxToDo: (want: string) => `Remettez les enregistrements MX vers ${want}.`,
    pop3: (name: string, seen: string) => `${name} pointe vers ${seen}.`,
    noPop3: (name: string) => `${name} n'a aucun enregistrement.`,
    pop3ToDo: (name: string, want: string) => `Remettez pour ${name} un enregistrement CNAME vers ${want}.`,
    nothing: "rien",
  },
  lang: "English",
};

export const messages: Record<Lang, Messages> = { en, fr };
