-- Local stack only (scripts/stack/two-domains.ts): server-to-server connections to the other
-- loopback domain go to a fixed 127.0.0.1:port instead of DNS (RFC 6120 §3.2.1 SRV, then A/AAAA),
-- because both test domains live on loopback where there is no DNS for them. Everything after
-- the TCP connect is Prosody's own s2s: STARTTLS, certificate verification against the stack's
-- CA (s2s_secure_auth), stream features, routing.
--
-- Config: stack_s2s_routes = { ["b.localhost"] = { "127.0.0.1", 25269 } }
-- Prosody 0.12's mod_s2s asks net.resolvers.service for each new outgoing session; this module
-- answers for the listed domains with net.resolvers.basic on the fixed address.
local service = require "net.resolvers.service";
local basic = require "net.resolvers.basic";
local manual = require "net.resolvers.manual";

local routes = module:get_option("stack_s2s_routes", {});

if not service.stack_original_new then
	service.stack_original_new = service.new;
end
local original_new = service.stack_original_new;

service.new = function (hostname, service_name, proto, extra)
	local target = routes[hostname];
	if target then
		if service_name == "xmpp-server" then
			module:log("debug", "s2s route for %s: %s:%d", hostname, target[1], target[2]);
			return basic.new(target[1], target[2], proto, extra);
		end
		-- no direct-TLS (xmpps-server) route on the stack: STARTTLS only
		return manual.new({}, proto, extra);
	end
	return original_new(hostname, service_name, proto, extra);
end

function module.unload()
	service.new = original_new;
end
