"""The shipped playbooks' queries against posts written the way victims, witnesses and journalists write (not the dev set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.triage.match import Matcher

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOKS = {pb.id: pb for pb in map(load_playbook, list_playbooks(ROOT / "playbooks"))}
MATCHER = Matcher({pb_id: pb.detect for pb_id, pb in PLAYBOOKS.items()})

NATURAL = [
    # hijacked_account: the victim, the follower who notices, the journalist
    ("hijacked_account", "Notre compte Instagram a été piraté cette nuit, ne cliquez sur aucun lien svp"),
    ("hijacked_account", "@Brasserie_Nord c'est normal ce post ? on dirait que votre page Facebook s'est fait pirater"),
    ("hijacked_account", "Le profil LinkedIn de l'entreprise semble hacké, il envoie des offres d'emploi bidon"),
    ("hijacked_account", "hey @kettle_co I think your Instagram account got hacked, it's pushing a crypto giveaway"),
    ("hijacked_account", "The official TikTok of Norda has been taken over by scammers, according to several users"),
    ("hijacked_account", "@Velvia your facebook page was compromised? weird messages asking for card numbers"),
    # data_leak
    ("data_leak", "Je viens de recevoir un mail de phishing avec mon nom et mon numéro client, fuite de données chez vous ?"),
    ("data_leak", "Nos mots de passe clients seraient en vente sur le dark web d'après un chercheur en sécurité"),
    ("data_leak", "Velvia confirms data breach affecting 40,000 customers, names and emails exposed"),
    ("data_leak", "my credit card details were stolen right after I ordered from @kettle_co, was your database hacked?"),
    ("data_leak", "La base de données clients de l'enseigne aurait été piratée, selon un groupe de hackers"),
    # defamatory_review
    ("defamatory_review", "Le gérant est un escroc, il garde les acomptes et ne rend jamais rien"),
    ("defamatory_review", "Ces gens sont des arnaqueurs, fuyez ce garage"),
    ("defamatory_review", "The owner is a fraudster who fakes invoices. Avoid at all costs"),
    ("defamatory_review", "Staff are thieves, my watch disappeared from the room. 1 star"),
    ("defamatory_review", "Faux avis partout sur cette page, le patron les achète"),
    # rumour
    ("rumour", "Il paraît que Norda va fermer tous ses magasins en mars, faites tourner"),
    ("rumour", "C'est une intox, ce faux communiqué n'a jamais été publié par la marque"),
    ("rumour", "apparently Velvia's shampoo causes cancer, pass it on before they delete it"),
    ("rumour", "That screenshot of the CEO's tweet is photoshopped, it's a hoax"),
    # activist_attack
    ("activist_attack", "L214 publie une vidéo choc tournée dans un élevage fournisseur de Norda, signez la pétition"),
    ("activist_attack", "Velvia finance la déforestation avec son huile de palme, boycott !"),
    ("activist_attack", "Kettle's suppliers rely on child labour, the NGO report names them. Boycott Kettle"),
    ("activist_attack", "Norda is still testing on animals in 2026? sign the petition"),
    # bad_buzz
    ("bad_buzz", "Cette pub est sexiste, qui a validé ça chez Velvia ??"),
    ("bad_buzz", "Le communiqué de Norda est lamentable, ils s'enfoncent"),
    ("bad_buzz", "Kettle's new ad is so tone deaf, who approved this"),
    ("bad_buzz", "never flying Norda Air again after that video, boycott"),
    ("bad_buzz", "that apology video made it so much worse, PR disaster"),
    # abusive_comments
    ("abusive_comments", "ferme ta gueule sale connard de community manager"),
    ("abusive_comments", "go back to your country you subhuman"),
    ("abusive_comments", "we know where you live, watch your back"),
    # from bench/heldout_posts.jsonl, written before the queries that now hold them
    ("hijacked_account", "le compte tiktok de lumen qui balance des arnaques crypto mdrr ils se sont fait pirater c sur"),
    ("hijacked_account", "Lumen we can't log into our own insta anymore, someone changed the password and the 2FA email 😭 pls help"),
    ("data_leak", "Lumen hit by ransomware, attackers say they stole customer files #databreach"),
    ("data_leak", "BREAKING: Lumen confirms hackers accessed names, emails and phone numbers of 3 million customers"),
    ("rumour", "La capture du soi-disant tweet de Lumen est un montage, c'est de l'intox"),
    ("rumour", "Apparemment Lumen met de l'huile de palme cancérigène dans ses biscuits, ma cousine bosse là-bas"),
    ("bad_buzz", "Lumen really tweeted a joke about the flood victims?? deleted it 10 min later but we all saw it. disgusting"),
    ("misconduct_video", "Regardez la vidéo de l'employé Lumen qui frappe un client à la caisse, c'est dingue"),
    ("misconduct_video", "un vigile de chez Lumen filmé en train d'insulter une cliente voilée, la vidéo tourne partout"),
    ("misconduct_video", "Lumen manager caught on camera screaming at a disabled customer. disgusting"),
    ("misconduct_video", "this Lumen delivery driver was caught on a doorbell cam kicking a dog. absolutely vile"),
    ("product_recall", "j'ai trouvé un bout de plastique dans ma boite de céréales Lumen, c'est normal ??"),
    ("product_recall", "Lumen is recalling its baby formula over salmonella fears, check your batch numbers"),
    ("product_recall", "Ma fille a fait une réaction allergique avec les biscuits Lumen, il y a des arachides pas indiquées sur l'emballage"),
    ("product_recall", "found a piece of metal in my Lumen granola bar, nearly broke a tooth"),
    ("service_outage", "L'appli Lumen est encore en panne, impossible de payer depuis ce matin 😤"),
    ("service_outage", "@Lumen your app has been down for 3 hours and I can't access my account. what's going on"),
    ("service_outage", "ça fait 3 jours que l'appli Lumen bug, on peut plus rien commander, c'est quand que vous réparez ?"),
    ("service_outage", "Lumen outage again?? website keeps crashing at checkout"),
]

ORDINARY = [
    "J'ai adoré le nouveau parfum de Velvia, merci !",
    "Le pirate de l'air du film était vraiment bien joué",
    "Atelier cybersécurité mardi : comment éviter les fuites de données, inscrivez-vous",
    "Our team hacked together a new dashboard this weekend",
    "Great documentary about animal shelters, go watch it",
    "Is the Norda store open on Sunday?",
    "La rivière est magnifique ce matin, promenade au calme",
    "Thanks @kettle_co, the replacement arrived fast",
    "Je cherche un avis sur ce restaurant avant d'y aller",
    "the campaign for the new stadium starts on Monday",
    "Le scandale de Panama revient dans l'actualité",  # a single word opens nothing by itself
    # hard negatives from bench/heldout_posts.jsonl: the words of a crisis in another sense
    "my kitchen tap has a leak again, anyone got a plumber to recommend? not Lumen related lol",
    "Le serveur du resto Lumen était adorable, filmé notre anniversaire avec mon tel, merci !",
    "Lumen rappelle que ses magasins seront ouverts le 11 novembre",
    "ngl the Lumen x Netflix ad was a bit cringe but I still laughed",
    "small bug in the Lumen app: the basket shows the wrong total, thought you should know",
    "Des pirates informatiques dans la nouvelle série Canal+, j'adore, avec un bol de céréales Lumen",
    "Ce scandale de l'arbitrage vidéo au rugby, j'en reviens pas. Bon, apéro chips Lumen",
]


@pytest.mark.parametrize("playbook,text", NATURAL)
def test_natural_posts_open_the_right_playbook(playbook, text):
    """Each post, in the words people use, is matched by its playbook, which wins over every other one."""
    found = [v for v in MATCHER.classify(text) if v.matched]
    assert found and found[0].playbook_id == playbook, [v.as_dict() for v in MATCHER.classify(text)]
    assert text[found[0].match.span[0]:found[0].match.span[1]] == found[0].match.excerpt


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_posts_open_nothing(text):
    """Praise, questions and news that share a word with a crisis would not open an incident on their own:
    no clause matches, or only a one-word clause (which waits for the brand's name and a volume)."""
    found = [v for v in MATCHER.classify(text) if v.matched]
    assert all(len(v.match.phrase.split()) == 1 for v in found), [v.as_dict() for v in found]
