namespace Wharf.Data; internal static class Placeholder {}
