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
        var buffer = allocator.buffer(capacity: 64 + fields.count * 32)
        write(to: &buffer)
        return buffer
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeAMIField("Event", name)
        buffer.writeAMIField("Privilege", classes.authorityString)
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
