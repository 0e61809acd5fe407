"""The words of a report's headings and captions, in French and English."""

from __future__ import annotations

LABELS = {
    "fr": {
        "report": "Rapport d'incident", "drill": "EXERCICE", "summary": "Synthèse", "playbook": "Playbook", "brand": "Marque",
        "severity": "Gravité", "severity_history": "Historique de la gravité", "highest_level": "Niveau d'escalade le plus haut",
        "state": "État", "participants": "Intervenants", "opened": "Ouvert le", "key_times": "Temps clés", "milestone": "Jalon",
        "at": "Heure", "after_first": "Depuis la 1re mention", "durations": "Délais", "deadlines": "Échéances",
        "deadline": "Échéance", "due": "Pour le", "result": "Résultat", "met": "tenue", "breached": "dépassée",
        "armed": "en cours", "cancelled": "annulée", "ahead": "avec {d} d'avance", "late": "en retard de {d}",
        "time_to_detect": "Temps de détection", "time_to_acknowledge": "Temps de prise en compte",
        "time_to_first_response": "Temps de première réponse", "time_to_resolve": "Temps de résolution",
        "first_mention": "première mention", "detected": "détection", "acknowledged": "prise en compte",
        "first_response": "première réponse publique", "stabilised": "stabilisation", "resolved": "résolution",
        "volume": "Volume de mentions", "mentions": "mentions", "negative": "négatives", "other": "autres",
        "chart_caption": "Mentions par heure et par plateforme ; les repères numérotés sont les moments clés.",
        "markers": "Repères", "spikes": "Pics détectés", "platforms": "Plateformes", "top_authors": "Auteurs les plus suivis",
        "author": "Auteur", "followers": "Abonnés", "press": "Reprises presse", "none": "aucune",
        "timeline": "Chronologie", "timeline_partial": "Événements marquants ({shown} sur {total} ; --full pour tout).",
        "actor": "Par", "what": "Quoi", "said": "Ce qui a été dit", "channel": "Canal", "published_at": "Publié le",
        "approver": "Approuvé par", "rejected_count": "Brouillons refusés (non reproduits) : {n}", "no_reply": "Aucune réponse publiée.",
        "pages": "Appels d'astreinte et prises en compte", "level": "Niveau", "people": "Personnes appelées", "cause": "Motif",
        "ack_by": "Pris en compte par", "no_page": "Aucun appel d'astreinte.",
        "review": "Retour d'expérience", "what_happened": "Ce qui s'est passé", "what_gained": "Ce que la marque y a gagné",
        "follow_ups": "Actions de suivi", "owner": "Responsable", "due_on": "Échéance", "status": "Statut",
        "overdue": "EN RETARD", "open": "ouverte", "not_reviewed": "Cet incident n'a pas encore de retour d'expérience.",
        "legal": "Dates légales", "barred_at": "Prescription le", "left": "Temps restant", "warn_at": "Alerte le",
        "no_legal": "Le playbook n'arme aucune date légale pour cet incident.",
        "evidence": "Annexe de preuves", "evidence_partial": "{shown} éléments sur {total} ; tous figurent dans le dossier de preuves "
        "(crisis evidence export).", "captured_by": "Rattaché par", "captured_at": "Capté le", "chain_head": "Tête de chaîne",
        "chain_ok": "audit verify : la chaîne de {n} événements est intacte.", "chain_broken": "audit verify : CHAÎNE ROMPUE : {why}",
        "generated": "Rapport établi le {at} à partir de la base ; il ne dit que ce qu'elle contient.",
        "yes": "oui", "no": "non", "nobody": "personne",
    },
    "en": {
        "report": "Incident report", "drill": "DRILL", "summary": "Summary", "playbook": "Playbook", "brand": "Brand",
        "severity": "Severity", "severity_history": "Severity history", "highest_level": "Highest escalation level",
        "state": "State", "participants": "Who took part", "opened": "Opened", "key_times": "Key times", "milestone": "Milestone",
        "at": "Time", "after_first": "After the first mention", "durations": "Durations", "deadlines": "Deadlines",
        "deadline": "Deadline", "due": "Due", "result": "Result", "met": "met", "breached": "breached",
        "armed": "running", "cancelled": "cancelled", "ahead": "{d} to spare", "late": "late by {d}",
        "time_to_detect": "Time to detect", "time_to_acknowledge": "Time to acknowledge",
        "time_to_first_response": "Time to first response", "time_to_resolve": "Time to resolve",
        "first_mention": "first mention", "detected": "detected", "acknowledged": "acknowledged",
        "first_response": "first public response", "stabilised": "stabilised", "resolved": "resolved",
        "volume": "Mention volume", "mentions": "mentions", "negative": "negative", "other": "other",
        "chart_caption": "Mentions per hour and platform; the numbered marks are the key moments.",
        "markers": "Marks", "spikes": "Spikes detected", "platforms": "Platforms", "top_authors": "Top authors by reach",
        "author": "Author", "followers": "Followers", "press": "Press pick-ups", "none": "none",
        "timeline": "Timeline", "timeline_partial": "Events that matter ({shown} of {total}; --full for all).",
        "actor": "By", "what": "What", "said": "What was said", "channel": "Channel", "published_at": "Published",
        "approver": "Approved by", "rejected_count": "Rejected drafts (not shown): {n}", "no_reply": "No reply was published.",
        "pages": "Pages and acknowledgements", "level": "Level", "people": "People paged", "cause": "Cause",
        "ack_by": "Acknowledged by", "no_page": "Nobody was paged.",
        "review": "Post-incident review", "what_happened": "What happened", "what_gained": "What the brand gained",
        "follow_ups": "Follow-ups", "owner": "Owner", "due_on": "Due", "status": "Status",
        "overdue": "OVERDUE", "open": "open", "not_reviewed": "This incident has not been reviewed yet.",
        "legal": "Legal dates", "barred_at": "Time-barred on", "left": "Time left", "warn_at": "Warning on",
        "no_legal": "The playbook arms no legal date for this incident.",
        "evidence": "Evidence annex", "evidence_partial": "{shown} items of {total}; the evidence pack holds them all "
        "(crisis evidence export).", "captured_by": "Attached by", "captured_at": "Captured", "chain_head": "Chain head",
        "chain_ok": "audit verify: the chain of {n} events is intact.", "chain_broken": "audit verify: CHAIN BROKEN: {why}",
        "generated": "Report generated on {at} from the database; it says only what the database holds.",
        "yes": "yes", "no": "no", "nobody": "nobody",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])
