/// Limits of the AMI wire protocol, each with its source in Asterisk.
public enum AMILimits {
    /// A line is accepted when its terminator arrives within this many bytes
    /// (`char inbuf[1025]` read by `get_input()` in `main/manager.c`).
    public static let maximumLineLength = 1024
    /// Header lines per message (`AST_MAX_MANHEADERS` in `include/asterisk/manager.h`).
    public static let maximumHeaderCount = 128
    /// Longest ChannelId / OtherChannelId (`AST_MAX_PUBLIC_UNIQUEID`).
    public static let maximumUniqueidLength = 149
}
