import Testing
@Test func placeholder_ICLRenderTests() { #expect(1 + 1 == 2) }
