import Foundation
import PBX
import SIPServer

/// DeviceStateChange and ExtensionStatus: raised when what a device (an extension's endpoint, a
/// trunk, a Local target) is doing changes, as Asterisk's device state machinery does.
extension CallEngine {
    /// `PJSIP/100-0000000a` → `PJSIP/100`; `Local/100@c2c-00000000;1` → `Local/100@c2c`.
    static func deviceName(of channelName: String) -> String {
        // On the UTF-8 bytes (`;` and `-` are ASCII): Character comparisons cost a grapheme check each.
        let bytes = channelName.utf8
        var end = bytes.endIndex
        if let semicolon = bytes.lastIndex(of: UInt8(ascii: ";")) { end = semicolon }
        if let dash = bytes[..<end].lastIndex(of: UInt8(ascii: "-")), bytes.distance(from: dash, to: end) == 9 { end = dash }
        return String(channelName[..<end])
    }

    /// Recomputes the device of `channel` and announces a change.
    func refreshDevice(of channel: CallChannel) {
        let device = Self.deviceName(of: channel.name)
        let tenant = channel.tenant
        let key = TenantName(tenant, device)
        let state: String
        var extensionNumber: String?
        let number = device.hasPrefix("PJSIP/") ? String(device.dropFirst(6)) : nil
        if let number, directory.directoryExtension(tenant: tenant, number: number) != nil {
            extensionNumber = number
            state = deviceState(tenant: tenant, number: number)
        } else {
            state = deviceUsage[key] == nil ? "NOT_INUSE" : "INUSE"
        }
        guard deviceStates[key] != state else { return }
        deviceStates[key] = state
        emit(PBXEvent("DeviceStateChange", fields: [("Device", device), ("State", state)], tenant: tenant))
        if let number = extensionNumber {
            let (status, text) = Self.extensionStatusCode(state)
            emit(
                PBXEvent(
                    "ExtensionStatus",
                    fields: [
                        ("Exten", number), ("Context", "internal"), ("Hint", device),
                        ("Status", String(status)), ("StatusText", text),
                    ], tenant: tenant))
        }
    }

    /// Device state of an extension's endpoint, as DeviceStateChange reports it: from the counts of
    /// its live channels (`deviceUsage`), not a scan of the node's channels.
    func deviceState(tenant: UUID, number: String) -> String {
        let usage = deviceUsage[TenantName(tenant, "PJSIP/\(number)")] ?? DeviceUsage()
        if usage.ringing > 0 { return usage.answered > 0 ? "RINGINUSE" : "RINGING" }
        if usage.answered > 0 || usage.ring > 0 { return "INUSE" }
        return sip.bindings(tenant: tenant, number: number).isEmpty ? "UNAVAILABLE" : "NOT_INUSE"
    }

    /// Counts `channel` (in `state`) in or out of its device's usage: when it is added (+1), changes
    /// state (-1 for the old, +1 for the new) and hangs up (-1). A device without live channels has
    /// no entry.
    func countDeviceUsage(of channel: CallChannel, in state: ChannelState, _ delta: Int) {
        let key = TenantName(channel.tenant, Self.deviceName(of: channel.name))
        var usage = deviceUsage[key] ?? DeviceUsage()
        usage.live += delta
        switch state {
        case .ringing: usage.ringing += delta
        case .up: usage.answered += delta
        case .ring: usage.ring += delta
        default: break
        }
        deviceUsage[key] = usage.live > 0 ? usage : nil
    }
}

/// How many live channels a device has, in the states device state looks at.
struct DeviceUsage {
    var live = 0
    var ringing = 0
    var answered = 0
    var ring = 0
}

extension CallEngine {
    static func extensionStatusCode(_ state: String) -> (Int, String) {
        switch state {
        case "NOT_INUSE": return (0, "Idle")
        case "INUSE": return (1, "InUse")
        case "BUSY": return (2, "Busy")
        case "UNAVAILABLE": return (4, "Unavailable")
        case "RINGING": return (8, "Ringing")
        case "RINGINUSE": return (9, "InUse&Ringing")
        default: return (-1, "Unknown")
        }
    }
}
