namespace Wharf.Core; internal static class Placeholder {}
