import Testing
@Test func placeholder_ICLTasksTests() { #expect(1 + 1 == 2) }
