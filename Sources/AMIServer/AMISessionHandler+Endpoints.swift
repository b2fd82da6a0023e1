import AMI
import Calls
import Foundation
import NIOCore

/// Endpoint, contact and state listings (PJSIP endpoints are the tenant's extensions). In a cluster
/// they are the home node's view: a session on another node forwards them there (docs/cluster.md).
extension AMISessionHandler {
    static func endpointDeviceState(_ state: String) -> String {
        switch state {
        case "NOT_INUSE": return "Not in use"
        case "INUSE": return "In use"
        case "RINGING", "RINGINUSE": return "Ringing"
        default: return "Unavailable"
        }
    }

    func listEndpoints(_ message: AMIMessage, context: ChannelHandlerContext, contacts: Bool) {
        let id = message.actionID
        if forwardedToHome(message, context: context) { return }
        withCalls(context, { $0.endpoints(tenant: $1, completion: $2) }) { handler, context, endpoints in
            handler.send(Self.endpointsReply(endpoints, contacts: contacts, actionID: id), context: context)
        }
    }

    /// `PJSIPShowEndpoints` (`contacts` false) or `PJSIPShowContacts`: the response and the list.
    static func endpointsReply(_ endpoints: [EndpointReport], contacts: Bool, actionID id: String) -> AMIListReply {
        if contacts {
            let now = UInt64(Date().timeIntervalSince1970)
            let items = endpoints.flatMap { endpoint in
                endpoint.contacts.map { contact -> [(String, String)] in
                    let source = contact.source
                    let port = source.split(separator: ":").last.map(String.init) ?? ""
                    let host = String(source.dropLast(port.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                    return [
                        ("ObjectType", "contact"), ("ObjectName", "\(endpoint.number);@\(contact.contact)"),
                        ("ViaAddr", host), ("ViaPort", port), ("Endpoint", endpoint.number), ("Aor", endpoint.number),
                        ("Uri", contact.contact), ("UserAgent", contact.userAgent),
                        ("ExpirationTime", String(now + contact.expiresIn)),
                        ("Status", "Reachable"), ("RoundtripUsec", "N/A"),
                    ]
                }
            }
            return AMIListReply(
                response: .listStart(id, message: "A listing of Contacts follows, presented as ContactList events"),
                events: listEvents("ContactList", actionID: id, items: items, complete: "ContactListComplete"))
        }
        guard !endpoints.isEmpty else { return AMIListReply(response: .error(id, message: "No endpoints found")) }
        let items = endpoints.map { endpoint -> [(String, String)] in
            [
                ("ObjectType", "endpoint"), ("ObjectName", endpoint.number), ("Transport", ""), ("Aor", endpoint.number),
                ("Auths", endpoint.number), ("OutboundAuths", ""),
                ("Contacts", endpoint.contacts.map { "\(endpoint.number)/\($0.contact)" }.joined(separator: ",")),
                ("DeviceState", endpointDeviceState(endpoint.state)), ("ActiveChannels", ""),
            ]
        }
        return AMIListReply(
            response: .listStart(id, message: "A listing of Endpoints follows, presented as EndpointList events"),
            events: listEvents("EndpointList", actionID: id, items: items, complete: "EndpointListComplete"))
    }

    /// ExtensionState's refusal before it reaches the calls (no extension), or nil.
    static func extensionStateRefusal(_ message: AMIMessage) -> String? {
        message.value("Exten").isEmpty ? "Extension not specified" : nil
    }

    func extensionState(_ message: AMIMessage, context: ChannelHandlerContext) {
        let id = message.actionID
        if let refusal = Self.extensionStateRefusal(message) { return send(.error(id, message: refusal), context: context) }
        if forwardedToHome(message, context: context) { return }
        let exten = message.value("Exten")
        withCalls(context, { $0.deviceState(extension: exten, tenant: $1, completion: $2) }) { handler, context, state in
            handler.send(Self.extensionStateReply(state, message: message), context: context)
        }
    }

    /// ExtensionState's response for the extension's device state (nil: no such extension).
    static func extensionStateReply(_ state: String?, message: AMIMessage) -> AMIResponse {
        let exten = message.value("Exten")
        let dialContext = message["Context"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let (status, text) = state.map(CallControl.extensionStatusCode) ?? (-1, "Unknown")
        return AMIResponse(
            .success, actionID: message.actionID,
            fields: [
                ("Message", "Extension Status"), ("Exten", exten), ("Context", dialContext),
                ("Hint", state == nil ? "" : "PJSIP/\(exten)"), ("Status", String(status)), ("StatusText", text),
            ])
    }

    func extensionStateList(_ message: AMIMessage, context: ChannelHandlerContext, devices: Bool) {
        let id = message.actionID
        if forwardedToHome(message, context: context) { return }
        withCalls(context, { $0.endpoints(tenant: $1, completion: $2) }) { handler, context, endpoints in
            handler.send(Self.extensionStateListReply(endpoints, devices: devices, actionID: id), context: context)
        }
    }

    /// `ExtensionStateList` (`devices` false) or `DeviceStateList`: the response and the list.
    static func extensionStateListReply(_ endpoints: [EndpointReport], devices: Bool, actionID id: String) -> AMIListReply {
        if devices {
            return AMIListReply(
                response: .listStart(id, message: "Device State Changes will follow"),
                events: listEvents(
                    "DeviceStateChange", actionID: id, items: endpoints.map { [("Device", "PJSIP/\($0.number)"), ("State", $0.state)] },
                    complete: "DeviceStateListComplete"))
        }
        guard !endpoints.isEmpty else { return AMIListReply(response: .error(id, message: "No dialplan hints are available")) }
        let items = endpoints.map { endpoint -> [(String, String)] in
            let (status, text) = CallControl.extensionStatusCode(endpoint.state)
            return [
                ("Exten", endpoint.number), ("Context", "internal"), ("Hint", "PJSIP/\(endpoint.number)"),
                ("Status", String(status)), ("StatusText", text),
            ]
        }
        return AMIListReply(
            response: .listStart(id, message: "Extension Statuses will follow"),
            events: listEvents("ExtensionStatus", actionID: id, items: items, complete: "ExtensionStateListComplete"))
    }
}
