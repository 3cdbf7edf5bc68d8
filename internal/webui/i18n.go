package webui

import (
	"net/http"
	"strconv"
	"strings"
)

// langCookie remembers the language chosen with the switch.
const langCookie = "callimport_lang"

// languages the pages are written in; the first is the default.
var languages = []string{"en", "fr"}

// baseMessages holds every string of the pages in both languages. A test checks
// that no key is missing in either.
func baseMessages() map[string][2]string {
	return withReasonMessages(withChannelMessages(map[string][2]string{
		// key: {English, French}
		"app":                {"callimport", "callimport"},
		"skip":               {"Skip to content", "Aller au contenu"},
		"signin":             {"Sign in", "Se connecter"},
		"signout":            {"Sign out", "Se déconnecter"},
		"email":              {"E-mail", "E-mail"},
		"password":           {"Password", "Mot de passe"},
		"bad_login":          {"Wrong e-mail or password.", "E-mail ou mot de passe incorrect."},
		"locked":             {"Too many failed attempts: this account is locked for a while. Try again later.", "Trop d'échecs : ce compte est bloqué pour un moment. Réessayez plus tard."},
		"language":           {"Language", "Langue"},
		"campaigns":          {"Campaigns", "Campagnes"},
		"no_campaigns":       {"No campaign yet.", "Aucune campagne pour le moment."},
		"calls":              {"Calls", "Appels"},
		"settings":           {"Settings", "Paramètres"},
		"import":             {"Import calls", "Importer des appels"},
		"name":               {"Name", "Nom"},
		"description":        {"Description", "Description"},
		"status":             {"Status", "Statut"},
		"all":                {"All", "Tous"},
		"filter":             {"Filter", "Filtrer"},
		"st_received":        {"Received", "Reçu"},
		"st_processing":      {"Processing", "En cours"},
		"st_imported":        {"Imported", "Importé"},
		"st_rejected":        {"Rejected", "Rejeté"},
		"file":               {"File", "Fichier"},
		"agent":              {"Agent", "Agent"},
		"date":               {"Conversation date", "Date de la conversation"},
		"received_at":        {"Received", "Reçu le"},
		"duration":           {"Duration", "Durée"},
		"source":             {"Source", "Source"},
		"player":             {"Recording", "Enregistrement"},
		"metadata":           {"Metadata", "Métadonnées"},
		"reason":             {"Rejection reason", "Motif du rejet"},
		"no_calls":           {"No call matches.", "Aucun appel ne correspond."},
		"next_page":          {"Next page", "Page suivante"},
		"first_page":         {"First page", "Première page"},
		"not_found":          {"Page not found", "Page introuvable"},
		"not_found_text":     {"This page does not exist or you cannot see it.", "Cette page n'existe pas ou vous n'y avez pas accès."},
		"error":              {"Something went wrong", "Une erreur est survenue"},
		"error_text":         {"Try again in a moment.", "Réessayez dans un instant."},
		"back":               {"Back to campaigns", "Retour aux campagnes"},
		"drop":               {"Drop recordings here", "Déposez les enregistrements ici"},
		"drop_or":            {"or", "ou"},
		"pick":               {"Choose files", "Choisir des fichiers"},
		"formats":            {"WAV, MP3, FLAC, Ogg, WebM or M4A.", "WAV, MP3, FLAC, Ogg, WebM ou M4A."},
		"batch":              {"Applied to every file of this import (optional)", "Appliqué à tous les fichiers de cet import (facultatif)"},
		"agent_email":        {"Agent e-mail", "E-mail de l'agent"},
		"conv_time":          {"Conversation time (RFC 3339 or Unix seconds)", "Heure de la conversation (RFC 3339 ou secondes Unix)"},
		"metadata_json":      {"Metadata (JSON object of strings)", "Métadonnées (objet JSON de chaînes)"},
		"overall":            {"Overall progress", "Progression globale"},
		"files":              {"Files", "Fichiers"},
		"cancel":             {"Cancel", "Annuler"},
		"retry":              {"Retry", "Réessayer"},
		"o_waiting":          {"Waiting", "En attente"},
		"o_uploading":        {"Uploading", "Envoi"},
		"o_checking":         {"Checking the audio", "Vérification de l'audio"},
		"o_imported":         {"Imported", "Importé"},
		"o_duplicate":        {"Duplicate: already in this campaign", "Doublon : déjà dans cette campagne"},
		"o_rejected":         {"Rejected", "Rejeté"},
		"o_cancelled":        {"Cancelled", "Annulé"},
		"o_failed":           {"Upload failed", "Échec de l'envoi"},
		"batch_invalid":      {"Fix the fields above before importing.", "Corrigez les champs ci-dessus avant d'importer."},
		"e_not_audio":        {"This file is not a recording in a supported format (WAV, MP3, FLAC, Ogg, WebM, M4A).", "Ce fichier n'est pas un enregistrement dans un format pris en charge (WAV, MP3, FLAC, Ogg, WebM, M4A)."},
		"e_too_large":        {"This file is larger than the allowed size.", "Ce fichier dépasse la taille autorisée."},
		"e_invalid":          {"The file or the fields are invalid.", "Le fichier ou les champs sont invalides."},
		"e_conflict":         {"Another recording already has this external id.", "Un autre enregistrement a déjà cet identifiant externe."},
		"e_unavailable":      {"The service is unavailable; try again.", "Le service est indisponible ; réessayez."},
		"e_session":          {"Your session has ended: sign in again.", "Votre session a expiré : reconnectez-vous."},
		"e_other":            {"The upload failed.", "L'envoi a échoué."},
		"summary":            {"%d of %d files done", "%d fichiers sur %d terminés"},
		"role_admin":         {"administrator", "administrateur"},
		"role_member":        {"member", "membre"},
		"signed_in_as":       {"Signed in as", "Connecté en tant que"},
		"src_web":            {"Web page", "Page web"},
		"src_api":            {"API", "API"},
		"src_sftp":           {"SFTP", "SFTP"},
		"src_sftp_pull":      {"SFTP pull", "Récupération SFTP"},
		"src_genesys":        {"Genesys Cloud", "Genesys Cloud"},
		"colon":              {": ", " : "},
		"forbidden":          {"Not allowed", "Accès refusé"},
		"forbidden_text":     {"Only administrators of your organisation can open this page.", "Seuls les administrateurs de votre organisation peuvent ouvrir cette page."},
		"keys_title":         {"API keys and OAuth clients", "Clés d'API et clients OAuth"},
		"keys_off":           {"Credentials cannot be managed on this server.", "Les identifiants ne peuvent pas être gérés sur ce serveur."},
		"api_keys":           {"API keys", "Clés d'API"},
		"oauth_clients":      {"OAuth clients", "Clients OAuth"},
		"scopes":             {"Scopes", "Portées"},
		"prefix":             {"Starts with", "Commence par"},
		"created":            {"Created", "Créé le"},
		"state":              {"State", "État"},
		"revoked":            {"Revoked", "Révoqué"},
		"revoke":             {"Revoke", "Révoquer"},
		"create_key":         {"Create API key", "Créer une clé d'API"},
		"create_client":      {"Create OAuth client", "Créer un client OAuth"},
		"secret":             {"Secret", "Secret"},
		"client_id":          {"Client id", "Identifiant client"},
		"secret_once":        {"copy the secret now: it is shown only once and cannot be read again.", "copiez le secret maintenant : il n'est affiché qu'une fois et ne pourra plus être lu."},
		"cred_invalid":       {"Give a name and at least one scope.", "Indiquez un nom et au moins une portée."},
		"users_title":        {"Users", "Utilisateurs"},
		"invite":             {"Invite a user", "Inviter un utilisateur"},
		"invited":            {"Account created for", "Compte créé pour"},
		"temp_password":      {"Temporary password", "Mot de passe temporaire"},
		"temp_password_once": {"Hand over this temporary password now: it is shown only once. They change it under Change password after signing in.", "Transmettez ce mot de passe temporaire maintenant : il n'est affiché qu'une fois. L'utilisateur le remplace dans Changer de mot de passe après s'être connecté."},
		"role":               {"Role", "Rôle"},
		"actions":            {"Actions", "Actions"},
		"make_admin":         {"Make administrator", "Nommer administrateur"},
		"make_member":        {"Make member", "Rendre membre"},
		"disable":            {"Disable", "Désactiver"},
		"enable":             {"Enable", "Réactiver"},
		"disabled":           {"Disabled", "Désactivé"},
		"active":             {"Active", "Actif"},
		"you":                {"(you)", "(vous)"},
		"user_invalid":       {"Give a valid e-mail address and a role.", "Indiquez une adresse e-mail valide et un rôle."},
		"user_exists":        {"A user already has this e-mail address.", "Un utilisateur a déjà cette adresse e-mail."},
		"user_self":          {"You cannot change your own account.", "Vous ne pouvez pas modifier votre propre compte."},
		"confirm_revoke":     {"Revoke this credential? Programs using it will stop working.", "Révoquer cet identifiant ? Les programmes qui l'utilisent cesseront de fonctionner."},
		"confirm_disable":    {"Disable this user? They are signed out at once.", "Désactiver cet utilisateur ? Il est déconnecté immédiatement."},
		"keys_nav":           {"API keys", "Clés d'API"},
		"change_password":    {"Change password", "Changer de mot de passe"},
		"pw_current":         {"Current password", "Mot de passe actuel"},
		"pw_new":             {"New password", "Nouveau mot de passe"},
		"pw_again":           {"New password again", "Nouveau mot de passe (confirmation)"},
		"pw_hint":            {"At least 12 characters.", "Au moins 12 caractères."},
		"pw_wrong":           {"The current password is wrong.", "Le mot de passe actuel est incorrect."},
		"pw_short":           {"The new password is too short: at least 12 characters.", "Le nouveau mot de passe est trop court : au moins 12 caractères."},
		"pw_mismatch":        {"The two new passwords differ.", "Les deux nouveaux mots de passe diffèrent."},
		"pw_done":            {"Your password is changed.", "Votre mot de passe est changé."},
		"unfinished":         {"Unfinished uploads from an earlier visit; choose or drop the same files again to continue where they stopped:", "Envois inachevés lors d'une visite précédente ; choisissez ou déposez à nouveau les mêmes fichiers pour reprendre où ils se sont arrêtés :"},
		"o_resuming":         {"Resuming", "Reprise"},
		"o_paused":           {"Interrupted: retry to continue where it stopped", "Interrompu : réessayez pour reprendre où il s'est arrêté"},
	}))
}

// jsKeys are the strings the import script needs, sent in the page.
var jsKeys = []string{"o_waiting", "o_uploading", "o_checking", "o_imported", "o_duplicate", "o_rejected",
	"o_cancelled", "o_failed", "colon", "cancel", "retry", "batch_invalid", "e_session", "e_other", "summary",
	"e_not_audio", "e_too_large", "e_conflict", "e_invalid", "o_resuming", "o_paused", "unfinished"}

// translator returns the strings of one language.
type translator struct {
	lang string
	idx  int
	msgs map[string][2]string
}

// T returns the string of key; a missing key shows as itself so that it is
// noticed (and the key test fails).
func (t translator) T(key string) string {
	if m, ok := t.msgs[key]; ok {
		return m[t.idx]
	}
	return key
}

// Lang is the language code, for the html lang attribute.
func (t translator) Lang() string { return t.lang }

// JS returns the strings of jsKeys.
func (t translator) JS() map[string]string {
	out := make(map[string]string, len(jsKeys))
	for _, k := range jsKeys {
		out[k] = t.T(k)
	}
	return out
}

func (h *handler) translator(lang string) translator {
	idx := 0
	if lang == "fr" {
		idx = 1
	}
	return translator{lang: languages[idx], idx: idx, msgs: h.msgs}
}

// pickLang chooses the language: the switch's cookie, then Accept-Language
// (highest q among the languages we have), then English.
func pickLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		for _, l := range languages {
			if c.Value == l {
				return l
			}
		}
	}
	best, bestQ := languages[0], -1.0
	for item := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(item), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		for _, l := range languages {
			if base == l && q > bestQ && q > 0 {
				best, bestQ = l, q
			}
		}
	}
	return best
}
