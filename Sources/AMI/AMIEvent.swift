import NIOCore

/// An event: `Event:`, the `Privilege:` line of its classes, then its fields.
public struct AMIEvent: Sendable {
    public var name: String
    /// The classes a session must read (all of them) to receive this event.
    public var classes: AMIPermissions
    public var fields: [(String, String)]

    public init(_ name: String, classes: AMIPermissions, fields: [(String, String)] = []) {
        self.name = name
        self.classes = classes
        self.fields = fields
    }

    /// The bytes of this event as every session receives it.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let privilege = classes.authorityString
        // The exact size (the `Event` and `Privilege` lines hold 9 + 13 bytes beside their values, each
        // field's `: ` and CR LF 4, the final CR LF 2): one allocation, never grown.
        var size = 24 + name.utf8.count + privilege.utf8.count
        for (name, value) in fields {
            size += name.utf8.count + value.utf8.count + 4
        }
        var buffer = allocator.buffer(capacity: size)
        write(to: &buffer, privilege: privilege)
        return buffer
    }

    public func write(to buffer: inout ByteBuffer) {
        write(to: &buffer, privilege: classes.authorityString)
    }

    private func write(to buffer: inout ByteBuffer, privilege: String) {
        buffer.writeAMIField("Event", name)
        buffer.writeAMIField("Privilege", privilege)
        for (name, value) in fields {
            buffer.writeAMIField(name, value)
        }
        buffer.writeStaticString("\r\n")
    }

    /// Writes a list item or a direct event: `Event:` then the fields, with no Privilege line.
    public static func writeListItem(_ name: String, fields: [(String, String)], to buffer: inout ByteBuffer) {
        buffer.writeAMIField("Event", name)
        for (name, value) in fields {
            buffer.writeAMIField(name, value)
        }
        buffer.writeStaticString("\r\n")
    }
}
