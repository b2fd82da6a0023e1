import Foundation
import PBX

/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`.
enum OpenAPIDocument {
    static let json: String = {
        let data = (try? JSONSerialization.data(withJSONObject: document(), options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }()

    private static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    /// A trunk's `rtp_timeout`: seconds, 0 = never, null = the node's `--rtp-timeout`.
    private static var trunkRTPTimeout: [String: Any] {
        [
            "type": ["integer", "null"], "minimum": Trunk.rtpTimeoutField.range.lowerBound, "maximum": Trunk.rtpTimeoutField.range.upperBound,
            "description": "RTP inactivity timeout in seconds for calls through this trunk; 0 = never; null = the node's --rtp-timeout",
        ]
    }

    private static func object(_ properties: [String: [String: Any]], required: [String] = []) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required, "additionalProperties": false]
    }

    private static var string: [String: Any] { ["type": "string"] }
    private static var integer: [String: Any] { ["type": "integer"] }
    private static var boolean: [String: Any] { ["type": "boolean"] }

    private static func limit(_ minimum: Int, _ description: String) -> [String: Any] {
        ["type": ["integer", "null"], "minimum": minimum, "maximum": TenantLimits.maximumValue, "description": description]
    }

    private static func json(_ schema: [String: Any]) -> [String: Any] { ["content": ["application/json": ["schema": schema]]] }

    private static func errors(_ codes: [String]) -> [String: Any] {
        var result: [String: Any] = [:]
        let text = [
            "400": "Malformed JSON body", "401": "Missing or invalid token", "403": "Not allowed for this token",
            "404": "No such tenant or item", "409": "Clashes with an existing item", "413": "Body larger than 64 KiB",
            "422": "A value is invalid (see error.field)", "503": "This node runs no call engine",
        ]
        for code in codes { result[code] = ["description": text[code] ?? "Error"].merging(json(ref("Error"))) { a, _ in a } }
        return result
    }

    private static func op(
        _ summary: String, request: [String: Any]? = nil, ok: String = "200", response: [String: Any]? = nil,
        errors codes: [String] = ["401", "403", "404"]
    ) -> [String: Any] {
        var responses = errors(codes)
        responses[ok] = response.map { ["description": "OK"].merging(json($0)) { a, _ in a } } ?? ["description": "Done"]
        var operation: [String: Any] = ["summary": summary, "responses": responses]
        if let request { operation["requestBody"] = ["required": true].merging(json(request)) { a, _ in a } }
        return operation
    }

    private static func parameters(_ names: [String]) -> [[String: Any]] {
        names.map { ["name": $0, "in": "path", "required": true, "schema": string] }
    }

    /// `/calls`: calls in progress and click-to-call (`APICallRoutes`).
    private static func callPaths(_ array: (String) -> [String: Any]) -> [String: Any] {
        let tenantQuery: [String: Any] = [
            "name": "tenant", "in": "query", "required": false, "schema": string,
            "description": "The tenant's UUID: required with the system administrator's token, else the token's own tenant",
        ]
        var post = op(
            "Click-to-call: the KalliopePBX Originate (Local/<from>@c2c, then <to> in from_c2c), with the same AMI events",
            request: ref("ClickToCallInput"), ok: "201", response: ref("ClickToCall"), errors: ["400", "401", "403", "404", "409", "413", "503"])
        if var responses = post["responses"] as? [String: Any] {
            responses["400"] = ["description": "Malformed body or an invalid from/to/timeout_ms (error.field)"].merging(json(ref("Error"))) { a, _ in
                a
            }
            responses["404"] = ["description": "unknown_extension (from), unknown_destination (to) or no such tenant"].merging(json(ref("Error"))) {
                a, _ in a
            }
            responses["409"] = ["description": "unavailable (no phone registered) or busy (the phone is in use or ringing)"].merging(
                json(ref("Error"))
            ) { a, _ in a }
            responses["429"] = ["description": "tenant_limit: a capacity limit of the tenant (message says which)"].merging(json(ref("Error"))) {
                a, _ in a
            }
            post["responses"] = responses
        }
        return [
            "/calls": [
                "parameters": [tenantQuery],
                "get": op("The tenant's calls in progress, oldest first", response: array("Call"), errors: ["400", "401", "403", "404", "503"]),
                "post": post,
            ],
            "/calls/{id}": [
                "parameters": parameters(["id"]) + [tenantQuery],
                "get": op("A call in progress", response: ref("Call"), errors: ["400", "401", "403", "404", "503"]),
                "delete": op(
                    "Hang up every channel of the call (BYE to its phones and trunks)", ok: "204", errors: ["400", "401", "403", "404", "503"]),
            ],
        ]
    }

    /// `/ami/ws`: AMI as JSON over WebSocket (`AMIWebSocket`).
    private static func amiWebSocketPath() -> [String: Any] {
        var responses = errors(["400", "401", "403"])
        responses["101"] = [
            "description":
                "Switching Protocols: a WebSocket whose every text message is one JSON object, an AMI message one way (the first {\"Banner\": …}, "
                + "then responses and events, a repeated key's values as an array) and an AMI action the other (string, number or boolean "
                + "values, an array for a repeated key; CR/LF refused). Without Authorization the first action must be Login; with a Bearer "
                + "token the session starts logged in as the token's tenant (read call, write call,originate). Refused credentials close the "
                + "WebSocket with 1008 and the reason, the node's cap with 1013, a message over --ami-ws-max-message-bytes with 1009"
        ]
        responses["426"] = ["description": "Upgrade Required: the request was not a WebSocket upgrade"].merging(json(ref("Error"))) { a, _ in a }
        responses["503"] = ["description": "too_many_sessions: --ami-ws-max-sessions reached"].merging(json(ref("Error"))) { a, _ in a }
        return [
            "get": [
                "summary": "AMI events and actions as JSON over WebSocket (GET with Upgrade: websocket)",
                "security": [[:], ["bearer": []]],
                "parameters": [
                    [
                        "name": "tenant", "in": "query", "required": false, "schema": string,
                        "description": "With the system administrator's token: the tenant's UUID (required); ignored without a token",
                    ]
                ],
                "responses": responses,
            ] as [String: Any]
        ]
    }

    static func document() -> [String: Any] {
        let array = { (name: String) -> [String: Any] in ["type": "array", "items": ref(name)] }
        let write = ["400", "401", "403", "404", "409", "413", "422"]
        var paths: [String: Any] = [
            "/tenants": [
                "get": op("Tenants this token may see", response: array("Tenant"), errors: ["401"]),
                "post": op("Create a tenant (system administrator)", request: ref("TenantInput"), ok: "201", response: ref("Tenant"), errors: write),
            ],
            "/tenants/{tenant}": [
                "parameters": parameters(["tenant"]),
                "get": op("A tenant", response: ref("Tenant")),
                "put": op("Change a tenant (system administrator)", request: ref("TenantInput"), response: ref("Tenant"), errors: write),
                "delete": op("Delete a tenant and all it owns (system administrator)", ok: "204"),
            ],
            "/tenants/{tenant}/capacity": [
                "parameters": parameters(["tenant"]),
                "get": op(
                    "What the tenant holds of the node's pools against its effective limits, and refusals since start",
                    response: ref("Capacity"), errors: ["401", "403", "404", "503"]),
            ],
            "/tenants/{tenant}/status": [
                "parameters": parameters(["tenant"]),
                "get": op("Live status: registrations, AMI sessions, security events, calls", response: ref("Live")),
            ],
            "/tenants/{tenant}/ami": [
                "parameters": parameters(["tenant"]),
                "get": op("AMI settings", response: ref("AMISettings")),
                "patch": op(
                    "Change AMI settings (service switch, username, permit list, event filters, user switch, password)",
                    request: ref("AMISettingsInput"), response: ref("AMISettings"), errors: write),
            ],
            "/tenants/{tenant}/ami/password": [
                "parameters": parameters(["tenant"]),
                "post": op(
                    "Set the AMI password (body {\"password\": …}) or generate one (empty body); returned once",
                    response: ref("AMIPassword"), errors: write),
            ],
        ]
        paths.merge(callPaths(array)) { a, _ in a }
        paths["/ami/ws"] = amiWebSocketPath()
        paths.merge(CDRAPIRoutes.openAPIPaths) { a, _ in a }
        for (plural, key, schema, input) in [
            ("extensions", "number", "Extension", "ExtensionInput"), ("trunks", "name", "Trunk", "TrunkInput"),
            ("routes", "prefix", "Route", "RouteInput"),
        ] {
            paths["/tenants/{tenant}/\(plural)"] = [
                "parameters": parameters(["tenant"]),
                "get": op("List \(plural)", response: array(schema)),
                "post": op("Create", request: ref(input), ok: "201", response: ref(schema), errors: write),
            ]
            paths["/tenants/{tenant}/\(plural)/{\(key)}"] = [
                "parameters": parameters(["tenant", key]),
                "get": op("Read", response: ref(schema)),
                "put": op("Replace", request: ref(input), response: ref(schema), errors: write),
                "delete": op("Delete", ok: "204"),
            ]
        }
        let date: [String: Any] = ["type": "string", "format": "date-time"]
        let schemas: [String: Any] = [
            "Error": object(
                ["error": object(["code": string, "field": string, "message": string], required: ["code", "message"])], required: ["error"]),
            "Tenant": object(
                [
                    "uuid": string, "name": string, "domain": string, "tone_country": string, "ami_enabled": boolean,
                    "limits": ref("Limits"),
                ],
                required: ["uuid", "name", "domain", "tone_country", "ami_enabled", "limits"]),
            "TenantInput": object(["name": string, "domain": string, "tone_country": string, "limits": ref("Limits")], required: ["name"]),
            "Limits": [
                "type": "object", "additionalProperties": false,
                "description":
                    "The tenant's own capacity limits; null (or absent) = the node's default. In a PUT, an absent 'limits' keeps the stored ones.",
                "properties": [
                    "channels": limit(1, "Concurrent channels (a click-to-call holds 4: the Local pair and two SIP legs)"),
                    "rtp_port_pairs": limit(1, "RTP/RTCP port pairs, one per SIP leg with media"),
                    "ami_sessions": limit(1, "Authenticated AMI sessions of all the tenant's users together"),
                    "originates_per_second": limit(0, "Originate actions per second, burst of one second; 0 = unlimited"),
                ],
            ] as [String: Any],
            "Capacity": object(
                [
                    "channels": integer, "channelsLimit": integer, "rtpPortPairs": integer, "rtpPortPairsLimit": integer,
                    "amiSessions": integer, "amiSessionsLimit": integer, "originatesPerSecondLimit": integer,
                    "refusals": ["type": "object", "additionalProperties": integer],
                ],
                required: [
                    "channels", "channelsLimit", "rtpPortPairs", "rtpPortPairsLimit", "amiSessions",
                    "amiSessionsLimit", "originatesPerSecondLimit", "refusals",
                ]),
            "Extension": object(["number": string, "name": string], required: ["number"]),
            "ExtensionInput": object(["number": string, "name": string, "password": string]),
            "Trunk": object(
                [
                    "name": string, "host": string, "port": integer, "transport": ["type": "string", "enum": ["udp", "tcp"]],
                    "username": string, "has_password": boolean, "rtp_timeout": trunkRTPTimeout,
                ],
                required: ["name", "host", "port", "transport", "has_password", "rtp_timeout"]),
            "TrunkInput": object(
                [
                    "name": string, "host": string, "port": integer, "transport": ["type": "string", "enum": ["udp", "tcp"]],
                    "username": string, "password": string, "rtp_timeout": trunkRTPTimeout,
                ], required: ["name", "host"]),
            "Route": object(["prefix": string, "trunk": string, "strip": integer], required: ["prefix", "trunk", "strip"]),
            "RouteInput": object(["prefix": string, "trunk": string, "strip": integer], required: ["prefix", "trunk"]),
            "AMIUser": object(
                [
                    "username": string, "permit": ["type": "array", "items": string], "read": string, "write": string, "enabled": boolean,
                    "eventfilter": ["type": "array", "items": string],
                ],
                required: ["username", "permit", "read", "write", "enabled", "eventfilter"]),
            "AMISettings": object(
                ["tenant_uuid": string, "enabled": boolean, "users": array("AMIUser")], required: ["tenant_uuid", "enabled", "users"]),
            "AMISettingsInput": object([
                "enabled": boolean, "username": string, "password": string,
                "permit": ["type": "array", "items": string], "eventfilter": ["type": "array", "items": string], "user_enabled": boolean,
            ]),
            "AMIPassword": object(["username": string, "password": string], required: ["username", "password"]),
            "Call": object(
                [
                    "id": [
                        "type": "string", "description": "The call's linkedid: the Uniqueid of its first channel (the Local ;1 of a click-to-call)",
                    ],
                    "from": string, "to": string, "state": ["type": "string", "enum": ["dialing", "ringing", "up"]], "started": date,
                    "duration": ["type": "integer", "description": "Seconds since started"],
                    "channels": ["type": "array", "items": object(["name": string, "state": string], required: ["name", "state"])],
                ], required: ["id", "from", "to", "state", "started", "duration", "channels"]),
            "ClickToCallInput": object(
                [
                    "from": ["type": "string", "description": "An extension of the tenant: its phone rings first"],
                    "to": [
                        "type": "string", "description": "Dialled once 'from' answers: an extension, or a number with an outbound route's prefix",
                    ],
                    "timeout_ms": [
                        "type": "integer", "minimum": APICallRoutes.timeoutRange.lowerBound, "maximum": APICallRoutes.timeoutRange.upperBound,
                        "default": APICallRoutes.defaultTimeout, "description": "How long 'from' may ring",
                    ],
                    "tenant": ["type": "string", "description": "The tenant's UUID: required with the system administrator's token"],
                ], required: ["from", "to"]),
            "ClickToCall": object(
                ["id": string, "tenant": string, "from": string, "to": string, "timeout_ms": integer],
                required: ["id", "tenant", "from", "to", "timeout_ms"]),
            "Live": object([
                "registrations": [
                    "type": "array",
                    "items": object([
                        "number": string, "contact": string, "source": string, "transport": string,
                        "userAgent": string, "expiresAt": date, "reachable": boolean,
                    ]),
                ],
                "amiSessions": ["type": "array", "items": object(["username": string, "address": string, "since": date])],
                "securityEvents": [
                    "type": "array",
                    "items": object([
                        "time": date, "service": string, "kind": string, "account": string,
                        "remoteAddress": string,
                    ]),
                ],
                "activeCalls": integer,
                "calls": array("Call"),
                "node": ["type": "string", "description": "The node that answered, in a cluster: amiSessions are its own"],
            ]),
        ]
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Centralino admin API", "version": "1",
                "description": "Everything the admin panel does. Authenticate with 'Authorization: Bearer <token>' (tokens: panel page /tokens).",
            ],
            "servers": [["url": "/api/v1"]],
            "security": [["bearer": []]],
            "paths": paths,
            "components": [
                "schemas": schemas.merging(CDRAPIRoutes.openAPISchemas) { a, _ in a },
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
            ],
        ]
    }
}
