"""GraphQL of deadlines: production calendars, previews, and an appeal's term."""
