// The user part of the TURN REST usernames ("<expiry>:<user>") icegate mints for browsers: a
// tag that names what the credential belongs to, so the server can revoke it and count quotas
// by it. A hash, not the id itself: USERNAME travels in clear in STUN over UDP.
#pragma once

#include <string>
#include <string_view>

namespace icegate::signal {

// "s-" + 22 characters: credentials of the signaling session `session` (joined, ice). The same
// session id (also after a resume, or a restart's readmission) always gives the same tag.
std::string session_credential_user(std::string_view session);

// "t-" + 22 characters: credentials minted at /api/ice-servers for a join token's subject (the
// token's room and name): every token for that subject shares one quota.
std::string subject_credential_user(std::string_view room, std::string_view name);

} // namespace icegate::signal
