package webui

import "maps"

// messages returns every string of the pages: baseMessages (i18n.go) and
// the strings of two-factor authentication.
func messages() map[string][2]string {
	m := baseMessages()
	maps.Copy(m, totpMessages())
	maps.Copy(m, adminMessages())
	return m
}

// totpMessages are the strings of two-factor authentication, {English, French}.
func totpMessages() map[string][2]string {
	return map[string][2]string{
		"tf_title":            {"Two-step verification", "Vérification en deux étapes"},
		"tf_code_intro":       {"Enter the 6-digit code shown by your authenticator app, or one of your recovery codes.", "Saisissez le code à 6 chiffres affiché par votre application d'authentification, ou l'un de vos codes de secours."},
		"tf_code":             {"Code", "Code"},
		"tf_code_hint":        {"6 digits, or a recovery code such as abcde-23456", "6 chiffres, ou un code de secours comme abcde-23456"},
		"tf_verify":           {"Verify", "Vérifier"},
		"tf_bad_code":         {"This code is wrong, expired or already used.", "Ce code est faux, expiré ou déjà utilisé."},
		"tf_start_over":       {"Sign in again", "Recommencer la connexion"},
		"tf_account":          {"Account security", "Sécurité du compte"},
		"tf_security":         {"Security", "Sécurité"},
		"tf_heading":          {"Two-factor authentication", "Authentification à deux facteurs"},
		"tf_on":               {"Two-factor authentication is on: signing in asks for a code of your app after your password.", "L'authentification à deux facteurs est activée : la connexion demande un code de votre application après le mot de passe."},
		"tf_off":              {"Two-factor authentication is off.", "L'authentification à deux facteurs est désactivée."},
		"tf_required":         {"Your organisation requires two-factor authentication: set it up to continue.", "Votre organisation exige l'authentification à deux facteurs : configurez-la pour continuer."},
		"tf_step1":            {"1. Scan this QR code with an authenticator app (or type the key below).", "1. Scannez ce code QR avec une application d'authentification (ou saisissez la clé ci-dessous)."},
		"tf_qr":               {"QR code to add callimport to an authenticator app", "Code QR pour ajouter callimport à une application d'authentification"},
		"tf_secret":           {"Key (to type by hand)", "Clé (à saisir à la main)"},
		"tf_open_app":         {"Open in an authenticator app on this phone or computer", "Ouvrir dans une application d'authentification de ce téléphone ou ordinateur"},
		"tf_step2":            {"2. Enter the code the app shows to confirm.", "2. Saisissez le code affiché par l'application pour confirmer."},
		"tf_app_code":         {"Code from the app", "Code de l'application"},
		"tf_enable":           {"Turn on", "Activer"},
		"tf_enrolled":         {"Two-factor authentication is now on.", "L'authentification à deux facteurs est maintenant activée."},
		"tf_codes_title":      {"Your recovery codes", "Vos codes de secours"},
		"tf_codes_once":       {"Each code signs you in once if you lose your phone. Keep them somewhere safe: they will not be shown again.", "Chaque code permet une connexion si vous perdez votre téléphone. Conservez-les en lieu sûr : ils ne seront plus affichés."},
		"tf_codes_done":       {"I have saved my recovery codes", "J'ai conservé mes codes de secours"},
		"tf_codes_left":       {"Unused recovery codes", "Codes de secours inutilisés"},
		"tf_codes_regen":      {"New recovery codes", "Nouveaux codes de secours"},
		"tf_codes_regen_hint": {"Replaces every recovery code you have. Confirm with a code of the app or a recovery code.", "Remplace tous vos codes de secours. Confirmez avec un code de l'application ou un code de secours."},
		"tf_codes_new":        {"New recovery codes were made; the old ones no longer work.", "De nouveaux codes de secours ont été créés ; les anciens ne fonctionnent plus."},
		"tf_disable":          {"Turn off", "Désactiver"},
		"tf_disable_hint":     {"Turns two-factor authentication off. Confirm with a code of the app or a recovery code.", "Désactive l'authentification à deux facteurs. Confirmez avec un code de l'application ou un code de secours."},
		"tf_col":              {"Two-factor", "Double authentification"},
		"tf_col_on":           {"On", "Activée"},
		"tf_col_off":          {"Off", "Désactivée"},
		"tf_reset":            {"Reset two-factor", "Réinitialiser la double authentification"},
		"tf_reset_confirm":    {"Reset this user's two-factor authentication? Their app and recovery codes stop working; they sign in with their password and set it up again.", "Réinitialiser la double authentification de cet utilisateur ? Son application et ses codes de secours ne fonctionneront plus ; il se connecte avec son mot de passe et la configure à nouveau."},
		"tf_disabled":         {"Two-factor authentication is now off.", "L'authentification à deux facteurs est maintenant désactivée."},
		"tf_cannot_disable":   {"Your organisation requires two-factor authentication: it cannot be turned off.", "Votre organisation exige l'authentification à deux facteurs : elle ne peut pas être désactivée."},
		"tf_confirm_code":     {"Code to confirm", "Code de confirmation"},
		"tf_org":              {"Organisation security", "Sécurité de l'organisation"},
		"tf_org_require":      {"Require two-factor authentication for everyone", "Exiger l'authentification à deux facteurs pour tous"},
		"tf_org_hint":         {"Users without it must set it up before they can do anything else.", "Les utilisateurs qui ne l'ont pas doivent la configurer avant toute autre action."},
		"tf_save":             {"Save", "Enregistrer"},
		"tf_saved":            {"Saved.", "Enregistré."},
		"tf_enrol_first":      {"Turn on two-factor authentication for your own account first.", "Activez d'abord l'authentification à deux facteurs pour votre propre compte."},
	}
}
