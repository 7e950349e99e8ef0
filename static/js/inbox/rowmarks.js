// A list row's reasons: why the conversation ranks high (priority_reasons as short chips, each with what it
// means as its description), the team that owns it, and the network state of its customer message last seen
// hidden or deleted. Team names come from GET /teams, asked once and only when a row has a team; a server
// without teams (or a refusal) shows no team name, quietly.
import { get } from "./api.js";
import { _, pgettext } from "./i18n.js";
import { moderationWords, reasonWords } from "./modnames.js";
import { emit, state } from "./store.js";
import { bdi, el, sentence } from "./text.js";

let asked = false;

function loadTeams() {
  if (asked) return;
  asked = true;
  get("/teams").then((body) => {
    state.teams = new Map((body?.items || []).map((team) => [team.id, team.name]));
    emit("teams:loaded");
  }).catch(() => {
    state.teams = new Map(); // no teams here, or not for this role: rows show none
  });
}

/** "Followers", "Negative"…: each chip's text is its name, its title what it means. */
export function reasonChips(conv) {
  const reasons = conv.priority_reasons || [];
  if (!reasons.length) return null;
  return el("span", { class: "reasons" },
    el("span", { class: "visually-hidden", text: _("Ranks high because:") }),
    reasons.map((reason) => {
      const [chip, meaning] = reasonWords(reason);
      return el("span", { class: `reason reason-${reason}`, title: meaning, text: chip });
    }));
}

/** "Team Billing", once the team's name is known. */
export function teamBadge(conv) {
  if (conv.team_id === null || conv.team_id === undefined) return null;
  if (state.teams === null) {
    loadTeams();
    return null;
  }
  const name = state.teams.get(conv.team_id);
  return name ? el("span", { class: "team-badge" }, sentence(pgettext("team badge", "Team %(name)s"), { name: bdi(name) })) : null;
}

/** "Hidden on Facebook" on the row whose customer message was just hidden or deleted. */
export function moderatedBadge(conv) {
  const known = state.moderated.get(conv.id);
  if (!known) return null;
  return el("span", { class: `mod-state mod-state-${known.moderation}`, text: moderationWords(known.moderation, conv.network) });
}
