"""The JSON Web Token access token manager (``JwtBearerAccessTokenManagementPlugin``)."""
