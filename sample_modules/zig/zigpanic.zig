//! Zig's safety checks as panics, and an error returned from main: each chosen by the first argument.
const std = @import("std");

const Kind = enum { index, overflow, unwrap, divide, missing };

fn pick(items: []const u32, i: usize) u32 {
    return items[i]; // index out of bounds
}

fn total(a: u8, b: u8) u8 {
    return a + b; // integer overflow
}

fn lookup(names: []const []const u8, wanted: []const u8) usize {
    for (names, 0..) |name, i| {
        if (std.mem.eql(u8, name, wanted)) return i;
    }
    return std.math.maxInt(usize);
}

fn find(names: []const []const u8, wanted: []const u8) ?usize {
    const i = lookup(names, wanted);
    return if (i == std.math.maxInt(usize)) null else i;
}

fn share(amount: u32, people: u32) u32 {
    return amount / people; // division by zero
}

const LookupError = error{NotFound};

fn account(id: u32) LookupError!u32 {
    if (id > 3) return error.NotFound; // error return
    return id * 10;
}

pub fn main(init: std.process.Init.Minimal) !void {
    var buffer: [4096]u8 = undefined;
    var fixed = std.heap.FixedBufferAllocator.init(&buffer);
    var args = try init.args.iterateAllocator(fixed.allocator());
    _ = args.skip();
    const arg = args.next() orelse "index";
    const kind = std.meta.stringToEnum(Kind, arg) orelse .index;
    const n: u32 = @intCast(arg.len);
    const items = [_]u32{ 1, 2, 3 };
    const names = [_][]const u8{ "ada", "grace" };
    switch (kind) {
        .index => std.debug.print("{d}\n", .{pick(&items, n)}),
        .overflow => std.debug.print("{d}\n", .{total(200, @intCast(n * 10))}),
        .unwrap => std.debug.print("{d}\n", .{find(&names, "linus") orelse unreachable}),
        .divide => std.debug.print("{d}\n", .{share(100, n - 6)}),
        .missing => std.debug.print("{d}\n", .{try account(n)}),
    }
}
